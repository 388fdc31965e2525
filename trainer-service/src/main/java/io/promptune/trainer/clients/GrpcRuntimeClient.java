package io.promptune.trainer.clients;

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
import io.promptune.trainer.config.TrainerConfig;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;

/** {@link RuntimeClient} over the grpc-java blocking stub configured as quarkus.grpc.clients.runtime. */
@ApplicationScoped
public class GrpcRuntimeClient implements RuntimeClient {

  @GrpcClient("runtime")
  ModelRuntimeGrpc.ModelRuntimeBlockingStub stub;

  @Inject
  TrainerConfig config;

  private ModelRuntimeGrpc.ModelRuntimeBlockingStub call() {
    return stub.withDeadlineAfter(config.rpcDeadline().toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public ModelInfo modelInfo() {
    return call().getModelInfo(GetModelInfoRequest.getDefaultInstance());
  }

  @Override
  public TokenizeResponse tokenize(TokenizeRequest request) {
    return call().tokenize(request);
  }

  @Override
  public ForwardBackwardResponse forwardBackward(ForwardBackwardRequest request) {
    return call().forwardBackward(request);
  }

  @Override
  public ScoreResponse score(ScoreRequest request) {
    return call().score(request);
  }

  @Override
  public GenerateResponse generate(GenerateRequest request) {
    return call().generate(request);
  }

  @Override
  public EmbedTokensResponse embedTokens(EmbedTokensRequest request) {
    return call().embedTokens(request);
  }
}
