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

/**
 * The model runtime as the trainer uses it: the v1 RPCs, blocking. Failures are gRPC StatusRuntimeExceptions.
 * Production talks to the runtime over gRPC ({@link GrpcRuntimeClient}); tests may serve a runtime in-process.
 */
public interface RuntimeClient {

  ModelInfo modelInfo();

  TokenizeResponse tokenize(TokenizeRequest request);

  ForwardBackwardResponse forwardBackward(ForwardBackwardRequest request);

  ScoreResponse score(ScoreRequest request);

  GenerateResponse generate(GenerateRequest request);

  EmbedTokensResponse embedTokens(EmbedTokensRequest request);
}
