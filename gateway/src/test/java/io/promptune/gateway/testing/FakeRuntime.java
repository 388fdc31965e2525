package io.promptune.gateway.testing;

import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.CandidateScore;
import io.promptune.api.v1.ExampleScores;
import io.promptune.api.v1.FinishReason;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.Generation;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import java.util.concurrent.atomic.AtomicReference;

/** A runtime that "generates" the input upper-cased and scores the last candidate best. */
public class FakeRuntime extends ModelRuntimeGrpc.ModelRuntimeImplBase {

  public final AtomicReference<GenerateRequest> lastGenerate = new AtomicReference<>();
  public final AtomicReference<ScoreRequest> lastScore = new AtomicReference<>();

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> out) {
    out.onNext(ModelInfo.newBuilder().setModelId("generated:tiny-byt5").setDModel(64).setFingerprint("f00d")
        .build());
    out.onCompleted();
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    lastGenerate.set(request);
    GenerateResponse.Builder r = GenerateResponse.newBuilder();
    request.getInputsList().forEach(i -> r.addGenerations(Generation.newBuilder()
        .setText(i.getInput().getText().toUpperCase()).addTokenIds(7).addTokenIds(1)
        .setFinishReason(FinishReason.EOS)));
    out.onNext(r.build());
    out.onCompleted();
  }

  @Override
  public void score(ScoreRequest request, StreamObserver<ScoreResponse> out) {
    lastScore.set(request);
    ScoreResponse.Builder r = ScoreResponse.newBuilder();
    request.getExamplesList().forEach(e -> {
      ExampleScores.Builder s = ExampleScores.newBuilder();
      for (int c = 0; c < e.getCandidatesCount(); c++) {
        s.addCandidates(CandidateScore.newBuilder().setSumLogProb(-10 + c).setNumTokens(2)
            .setMeanLogProb((-10 + c) / 2.0));
      }
      r.addExamples(s.setBestIndex(e.getCandidatesCount() - 1));
    });
    out.onNext(r.build());
    out.onCompleted();
  }

  @Override
  public void nearestTokens(io.promptune.api.v1.NearestTokensRequest request,
      StreamObserver<io.promptune.api.v1.NearestTokensResponse> out) {
    out.onNext(InspectFixtures.nearest(request));
    out.onCompleted();
  }
}
