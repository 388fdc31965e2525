package io.promptune.registry.observability;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.RollbackRequest;
import io.promptune.registry.config.RegistryConfig;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.Set;

/**
 * The registry's metrics, from the outcome of its RPCs (no change to the services):
 * {@code promptune_registry_versions_published_total{outcome}} (PublishVersion and ImportPeft),
 * {@code promptune_registry_promotions_total{environment,outcome}} and
 * {@code promptune_registry_rollbacks_total{environment,outcome}}. outcome is "ok", "forced" (an admin's override
 * went through) or, for refused ones, the error reason (environment_order, conflict, model_mismatch,
 * permission_denied, ...). environment is a configured one or "other", so callers cannot grow the label set.
 */
@ApplicationScoped
@GlobalInterceptor
public class RegistryMetricsInterceptor implements ServerInterceptor {

  @Inject
  MeterRegistry registry;

  @Inject
  RegistryConfig config;

  private Set<String> environments;

  @PostConstruct
  void init() {
    environments = Set.copyOf(config.environments());
    for (String env : environments) { // the series exist from the start, at 0
      counter("promptune.registry.promotions", env, "ok");
      counter("promptune.registry.rollbacks", env, "ok");
    }
    Counter.builder("promptune.registry.versions.published").tag("outcome", "ok").register(registry);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    String name;
    if (method.equals(PromptRegistryGrpc.getPromoteMethod().getFullMethodName())) {
      name = "promptune.registry.promotions";
    } else if (method.equals(PromptRegistryGrpc.getRollbackMethod().getFullMethodName())) {
      name = "promptune.registry.rollbacks";
    } else if (method.equals(PromptRegistryGrpc.getPublishVersionMethod().getFullMethodName())
        || method.equals(PromptRegistryGrpc.getImportPeftMethod().getFullMethodName())) {
      name = "promptune.registry.versions.published";
    } else {
      return next.startCall(call, headers);
    }
    String[] env = {"other"};
    boolean[] forced = {false};
    ServerCall<Q, R> observed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        String outcome = outcome(status, trailers, forced[0]);
        if (name.equals("promptune.registry.versions.published")) {
          Counter.builder(name).description("Versions published (PublishVersion, ImportPeft) by outcome")
              .tag("outcome", outcome).register(registry).increment();
        } else {
          counter(name, env[0], outcome).increment();
        }
        super.close(status, trailers);
      }
    };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(observed, headers)) {
      @Override
      public void onMessage(Q message) {
        if (message instanceof PromoteRequest p) {
          env[0] = label(p.getEnvironment());
          forced[0] = p.getForce();
        } else if (message instanceof RollbackRequest r) {
          env[0] = label(r.getEnvironment());
        }
        super.onMessage(message);
      }
    };
  }

  private String label(String environment) {
    return environments.contains(environment) ? environment : "other";
  }

  private static String outcome(Status status, Metadata trailers, boolean forced) {
    if (status.isOk()) {
      return forced ? "forced" : "ok";
    }
    return ApiErrors.reasonOf(status.asRuntimeException(trailers))
        .map(r -> r.name().toLowerCase(Locale.ROOT))
        .orElse(status.getCode().name().toLowerCase(Locale.ROOT));
  }

  private Counter counter(String name, String environment, String outcome) {
    return Counter.builder(name).description(name.endsWith("rollbacks") ? "Rollbacks by environment and outcome"
        : "Promotions by environment and outcome").tag("environment", environment).tag("outcome", outcome)
        .register(registry);
  }
}
