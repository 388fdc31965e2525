package io.promptune.runtime.grpc;

import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.EmbedTokensResponse;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.api.v1.NearestTokensResponse;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;
import io.promptune.common.errors.ServiceException;
import io.promptune.common.grpc.StatusPolicy;
import io.promptune.runtime.observability.RuntimeMetrics;
import io.promptune.runtime.service.ModelHost;
import io.promptune.runtime.service.RuntimeService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.function.Function;
import org.jboss.logging.Logger;

/** The ModelRuntime gRPC surface: delegates to {@link RuntimeService}, maps exceptions to statuses. */
@GrpcService
@Blocking
public class RuntimeGrpcService extends ModelRuntimeGrpc.ModelRuntimeImplBase {

  private static final StatusPolicy STATUS = new StatusPolicy("model runtime");
  private static final Logger LOG = Logger.getLogger(RuntimeGrpcService.class);

  @Inject
  ModelHost host;

  @Inject
  RuntimeMetrics metrics;

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> out) {
    call("GetModelInfo", out, s -> s.modelInfo());
  }

  @Override
  public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> out) {
    call("Tokenize", out, s -> s.tokenize(request));
  }

  @Override
  public void forwardBackward(ForwardBackwardRequest request, StreamObserver<ForwardBackwardResponse> out) {
    call("ForwardBackward", out, s -> counted("ForwardBackward", !request.getForwardOnly(), request.getPromptsCount(), s.forwardBackward(request)));
  }

  @Override
  public void score(ScoreRequest request, StreamObserver<ScoreResponse> out) {
    call("Score", out, s -> counted("Score", false, request.getPromptsCount(), s.score(request)));
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    call("Generate", out, s -> counted("Generate", false, request.getPromptsCount(), s.generate(request)));
  }

  @Override
  public void nearestTokens(NearestTokensRequest request, StreamObserver<NearestTokensResponse> out) {
    call("NearestTokens", out, s -> s.nearestTokens(request));
  }

  @Override
  public void embedTokens(EmbedTokensRequest request, StreamObserver<EmbedTokensResponse> out) {
    call("EmbedTokens", out, s -> s.embedTokens(request));
  }

  /** Records how many distinct prompts a successful request carried (an ensemble job sends all members at once). */
  private <T> T counted(String rpc, boolean gradients, int prompts, T response) {
    metrics.requestPrompts(rpc, gradients, prompts);
    return response;
  }

  private <T> void call(String rpc, StreamObserver<T> out, Function<RuntimeService, T> body) {
    STATUS.answer(out, rpc, () -> {
      try {
        T response = body.apply(host.service());
        // One line per successful call for whoever needs per-replica evidence without metrics (the scale-out
        // e2e test enables it with QUARKUS_LOG_CATEGORY__IO_PROMPTUNE_RUNTIME_GRPC__LEVEL=DEBUG).
        LOG.debugf("%s OK", rpc);
        return response;
      } catch (IllegalArgumentException e) { // the engine's own checks: still the caller's input
        throw new ServiceException(ErrorReason.INVALID_ARGUMENT, e.getMessage(), Map.of(), e);
      }
    });
  }
}
