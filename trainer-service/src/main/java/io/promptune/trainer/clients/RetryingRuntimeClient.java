package io.promptune.trainer.clients;

import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.EmbedTokensResponse;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;

/** A runtime whose calls are retried on transient failures. The runtime is deterministic, so a retry is safe. */
public record RetryingRuntimeClient(RuntimeClient delegate, Retrier retrier) implements RuntimeClient {

  @Override
  public ModelInfo modelInfo() {
    return retrier.call("runtime GetModelInfo", delegate::modelInfo);
  }

  @Override
  public TokenizeResponse tokenize(TokenizeRequest request) {
    return retrier.call("runtime Tokenize", () -> delegate.tokenize(request));
  }

  @Override
  public ForwardBackwardResponse forwardBackward(ForwardBackwardRequest request) {
    return retrier.call("runtime ForwardBackward", () -> delegate.forwardBackward(request));
  }

  @Override
  public ScoreResponse score(ScoreRequest request) {
    return retrier.call("runtime Score", () -> delegate.score(request));
  }

  @Override
  public GenerateResponse generate(GenerateRequest request) {
    return retrier.call("runtime Generate", () -> delegate.generate(request));
  }

  @Override
  public EmbedTokensResponse embedTokens(EmbedTokensRequest request) {
    return retrier.call("runtime EmbedTokens", () -> delegate.embedTokens(request));
  }
}
