package io.promptune.gateway.testing;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import io.promptune.api.CallerIdentity;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Real gRPC servers on local ports standing in for registry, trainer and runtime, so the gateway's mapping,
 * identity forwarding, streaming and readiness are tested over the wire. Each can be stopped and started again.
 */
public class FakeBackends implements QuarkusTestResourceLifecycleManager {

  public enum Kind { REGISTRY, TRAINER, RUNTIME }

  public static final Map<Kind, Integer> PORTS = Map.of(Kind.RUNTIME, 19301, Kind.REGISTRY, 19302, Kind.TRAINER,
      19303);

  /** The identity metadata of the last call any fake received. */
  public static final AtomicReference<CallerIdentity> LAST_CALLER = new AtomicReference<>();
  /** The authorization header of the last call that forwarded an identity: the gateway's own service key. */
  public static final AtomicReference<String> LAST_AUTHORIZATION = new AtomicReference<>();
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** The W3C traceparent header of the last call any fake backend received (null if none). */
  public static final AtomicReference<String> LAST_TRACEPARENT = new AtomicReference<>();
  private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent",
      Metadata.ASCII_STRING_MARSHALLER);

  public static final FakeRegistry REGISTRY = new FakeRegistry();
  public static final FakeTrainer TRAINER = new FakeTrainer();
  public static final FakeRuntime RUNTIME = new FakeRuntime();

  private static final Map<Kind, Server> SERVERS = new EnumMap<>(Kind.class);

  @Override
  public Map<String, String> start() {
    for (Kind k : Kind.values()) {
      startBackend(k);
    }
    return Map.of();
  }

  @Override
  public void stop() {
    for (Kind k : Kind.values()) {
      stopBackend(k);
    }
  }

  public static synchronized void startBackend(Kind k) {
    if (SERVERS.containsKey(k)) {
      return;
    }
    String service = switch (k) {
      case REGISTRY -> "promptune.v1.PromptRegistry";
      case TRAINER -> "promptune.v1.Trainer";
      case RUNTIME -> "promptune.v1.ModelRuntime";
    };
    io.grpc.BindableService impl = switch (k) {
      case REGISTRY -> REGISTRY;
      case TRAINER -> TRAINER;
      case RUNTIME -> RUNTIME;
    };
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
          io.grpc.ServerCallHandler<Q, R> next) {
        if (headers.get(CallerIdentity.ACTOR_KEY) != null) {
          LAST_CALLER.set(new CallerIdentity(headers.get(CallerIdentity.ACTOR_KEY),
              CallerIdentity.Role.parse(headers.get(CallerIdentity.ROLE_KEY))));
          LAST_AUTHORIZATION.set(headers.get(AUTHORIZATION));
        }
        LAST_TRACEPARENT.set(headers.get(TRACEPARENT));
        return Contexts.interceptCall(io.grpc.Context.current(), call, headers, next);
      }
    };
    try {
      Server s = ServerBuilder.forPort(PORTS.get(k))
          .addService(ServerInterceptors.intercept(impl, capture))
          .addService(new Health(service))
          .build().start();
      SERVERS.put(k, s);
    } catch (IOException e) {
      throw new IllegalStateException("fake " + k + " could not start", e);
    }
  }

  public static synchronized void stopBackend(Kind k) {
    Server s = SERVERS.remove(k);
    if (s != null) {
      s.shutdownNow();
      try {
        s.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static final class Health extends HealthGrpc.HealthImplBase {
    private final String service;

    Health(String service) {
      this.service = service;
    }

    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
      boolean known = request.getService().isEmpty() || request.getService().equals(service);
      out.onNext(HealthCheckResponse.newBuilder().setStatus(known ? HealthCheckResponse.ServingStatus.SERVING
          : HealthCheckResponse.ServingStatus.UNKNOWN).build());
      out.onCompleted();
    }
  }
}
