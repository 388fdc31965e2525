package io.promptune.gateway.backend;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.auth.Caller;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.errors.GrpcErrors;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * gRPC stubs for the three backends, each carrying the authenticated caller's identity and a deadline; every call
 * goes through {@link #call} so a backend failure becomes an {@link ApiError} naming that backend.
 */
@ApplicationScoped
public class Backends {

  @GrpcClient("registry")
  Channel registryChannel;

  @GrpcClient("trainer")
  Channel trainerChannel;

  @GrpcClient("runtime")
  Channel runtimeChannel;

  @Inject
  Caller caller;

  @Inject
  GatewayConfig config;

  private final Map<Backend, String> addresses = new EnumMap<>(Backend.class);

  public Channel channel(Backend b) {
    return switch (b) {
      case REGISTRY -> registryChannel;
      case TRAINER -> trainerChannel;
      case RUNTIME -> runtimeChannel;
    };
  }

  /**
   * Lets the channel retry its connection at once instead of after gRPC's exponential back-off (up to two minutes),
   * so a restarted backend is used again within a health-probe interval.
   */
  public void reconnectSoon(Backend b) {
    if (channel(b) instanceof io.grpc.ManagedChannel m) {
      m.resetConnectBackoff();
    }
  }

  /** host:port of a backend as configured, for messages. */
  public String address(Backend b) {
    return addresses.computeIfAbsent(b, k -> {
      var c = ConfigProvider.getConfig();
      String prefix = "quarkus.grpc.clients." + k.clientName() + ".";
      return c.getOptionalValue(prefix + "host", String.class).orElse("localhost") + ":"
          + c.getOptionalValue(prefix + "port", String.class).orElse("9000");
    });
  }

  public PromptRegistryGrpc.PromptRegistryBlockingStub registry() {
    return decorate(PromptRegistryGrpc.newBlockingStub(registryChannel), config.deadlines().call());
  }

  public TrainerGrpc.TrainerBlockingStub trainer() {
    return decorate(TrainerGrpc.newBlockingStub(trainerChannel), config.deadlines().call());
  }

  /** The async trainer stub (uploads, watching) with the caller's identity and the given deadline, if any. */
  public TrainerGrpc.TrainerStub trainerAsync(CallerIdentity who, Duration deadline) {
    TrainerGrpc.TrainerStub s = TrainerGrpc.newStub(trainerChannel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(who.toMetadata()));
    return deadline == null ? s : s.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  public ModelRuntimeGrpc.ModelRuntimeBlockingStub runtime(Duration deadline) {
    return decorate(ModelRuntimeGrpc.newBlockingStub(runtimeChannel), deadline);
  }

  private <S extends AbstractStub<S>> S decorate(S stub, Duration deadline) {
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(caller.identity().toMetadata()))
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs a blocking call; a gRPC failure becomes the matching HTTP error. */
  public <S, T> T call(Backend b, S stub, Function<S, T> rpc) {
    try {
      return rpc.apply(stub);
    } catch (StatusRuntimeException e) {
      throw error(b, e);
    }
  }

  public ApiError error(Backend b, StatusRuntimeException e) {
    if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
      reconnectSoon(b);
    }
    return GrpcErrors.toApiError(e, b.clientName(), address(b));
  }

  public <T> T registry(Function<PromptRegistryGrpc.PromptRegistryBlockingStub, T> rpc) {
    return call(Backend.REGISTRY, registry(), rpc);
  }

  public <T> T trainer(Function<TrainerGrpc.TrainerBlockingStub, T> rpc) {
    return call(Backend.TRAINER, trainer(), rpc);
  }

  public <T> T runtime(Function<ModelRuntimeGrpc.ModelRuntimeBlockingStub, T> rpc) {
    return call(Backend.RUNTIME, runtime(config.deadlines().call()), rpc);
  }

  public <T> T inference(Function<ModelRuntimeGrpc.ModelRuntimeBlockingStub, T> rpc) {
    return call(Backend.RUNTIME, runtime(config.deadlines().inference()), rpc);
  }
}
