package io.promptune.trainer.api;

import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.EmbedTokensResponse;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.function.Supplier;

/** Serves {@link Backends#RUNTIME} as the ModelRuntime gRPC service, in tests only. */
@GrpcService
public class ToyRuntimeGrpcService extends ModelRuntimeGrpc.ModelRuntimeImplBase {

  private static <T> void answer(StreamObserver<T> out, Supplier<T> call) {
    T r;
    try {
      r = call.get();
    } catch (RuntimeException e) {
      out.onError(e);
      return;
    }
    out.onNext(r);
    out.onCompleted();
  }

  @Override
  @Blocking
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> out) {
    answer(out, Backends.RUNTIME::modelInfo);
  }

  @Override
  @Blocking
  public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> out) {
    answer(out, () -> Backends.RUNTIME.tokenize(request));
  }

  @Override
  @Blocking
  public void forwardBackward(ForwardBackwardRequest request, StreamObserver<ForwardBackwardResponse> out) {
    answer(out, () -> Backends.RUNTIME.forwardBackward(request));
  }

  @Override
  @Blocking
  public void score(ScoreRequest request, StreamObserver<ScoreResponse> out) {
    answer(out, () -> Backends.RUNTIME.score(request));
  }

  @Override
  @Blocking
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    answer(out, () -> Backends.RUNTIME.generate(request));
  }

  @Override
  @Blocking
  public void embedTokens(EmbedTokensRequest request, StreamObserver<EmbedTokensResponse> out) {
    answer(out, () -> Backends.RUNTIME.embedTokens(request));
  }
}
