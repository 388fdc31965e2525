package io.promptune.gateway.testing;

import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.CandidateScore;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.MemberScores;
import io.promptune.api.v1.PromptRef;
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

/**
 * A runtime that "generates" the input upper-cased and scores the last candidate best. A prompt whose reference starts
 * with "ens" acts as a three-member ensemble with fixed answers: generations "POS", "NEG", "POS" (combined: "POS", 2
 * votes); scores over two candidates [-4, -2], [-1, -3], [-5, -1] (member bests 1, 0, 1; votes [1, 2]; combined: 1,
 * with the means [-10/3, -2]).
 */
public class FakeRuntime extends ModelRuntimeGrpc.ModelRuntimeImplBase {

  public final AtomicReference<GenerateRequest> lastGenerate = new AtomicReference<>();
  public final AtomicReference<ScoreRequest> lastScore = new AtomicReference<>();

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> out) {
    out.onNext(ModelInfo.newBuilder().setModelId("generated:tiny-byt5").setDModel(64).setFingerprint("f00d")
        .build());
    out.onCompleted();
  }

  private static boolean ensemble(java.util.List<PromptRef> prompts, int index) {
    return index < prompts.size() && prompts.get(index).getVersion().getRef().startsWith("ens");
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
    lastGenerate.set(request);
    GenerateResponse.Builder r = GenerateResponse.newBuilder();
    request.getInputsList().forEach(i -> {
      if (ensemble(request.getPromptsList(), i.getPromptIndex())) {
        Generation.Builder g = Generation.newBuilder().setText("POS").addTokenIds(5).setSumLogProb(-1)
            .setFinishReason(FinishReason.EOS).setRule(CombinationRule.MAJORITY_VOTE).setVotes(2);
        for (String t : new String[] {"POS", "NEG", "POS"}) {
          g.addMembers(Generation.newBuilder().setText(t).addTokenIds(t.equals("POS") ? 5 : 6).setSumLogProb(-1)
              .setFinishReason(FinishReason.EOS));
        }
        r.addGenerations(g);
        return;
      }
      r.addGenerations(Generation.newBuilder()
          .setText(i.getInput().getText().toUpperCase()).addTokenIds(7).addTokenIds(1)
          .setFinishReason(FinishReason.EOS));
    });
    out.onNext(r.build());
    out.onCompleted();
  }

  @Override
  public void score(ScoreRequest request, StreamObserver<ScoreResponse> out) {
    lastScore.set(request);
    ScoreResponse.Builder r = ScoreResponse.newBuilder();
    request.getExamplesList().forEach(e -> {
      if (ensemble(request.getPromptsList(), e.getPromptIndex())) {
        double[][] members = {{-4, -2}, {-1, -3}, {-5, -1}};
        ExampleScores.Builder s = ExampleScores.newBuilder().setRule(CombinationRule.MAJORITY_VOTE).setBestIndex(1)
            .addVotes(1).addVotes(2)
            .addCandidates(CandidateScore.newBuilder().setSumLogProb(-10 / 3.0).setNumTokens(2))
            .addCandidates(CandidateScore.newBuilder().setSumLogProb(-2).setNumTokens(2));
        for (double[] m : members) {
          s.addMembers(MemberScores.newBuilder().setBestIndex(m[0] > m[1] ? 0 : 1)
              .addCandidates(CandidateScore.newBuilder().setSumLogProb(m[0]).setNumTokens(2))
              .addCandidates(CandidateScore.newBuilder().setSumLogProb(m[1]).setNumTokens(2)));
        }
        r.addExamples(s);
        return;
      }
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
