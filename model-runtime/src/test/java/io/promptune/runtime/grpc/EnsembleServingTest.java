package io.promptune.runtime.grpc;

import static io.promptune.runtime.grpc.RuntimeTestSupport.assertError;
import static io.promptune.runtime.grpc.RuntimeTestSupport.prompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.randomPrompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.stub;
import static io.promptune.runtime.grpc.RuntimeTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.grpc.Status.Code;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.promptune.api.Tensors;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.Ensemble;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ExampleScores;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.Generation;
import io.promptune.api.v1.InlineEnsemble;
import io.promptune.api.v1.MemberScores;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.TrainingExample;
import io.promptune.api.v1.VersionKind;
import io.promptune.api.v1.VersionSelector;
import io.promptune.runtime.service.EnsembleCombiner;
import io.promptune.runtime.service.ModelHost;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ensemble serving (issue #14): an ensemble of 3 inline members of different lengths answers Score and Generate
 * with exactly what 3 single-prompt calls give, combines by its rule, and runs as one engine call (the runtime's own
 * batch metrics: one more executed batch, with B x N rows). A registry ENSEMBLE version serves the same way.
 */
@QuarkusTest
class EnsembleServingTest {

  static final int D = 64;
  static final int[] LENGTHS = {3, 5, 8}; // mixed prompt lengths among the members
  static final double TOL = 1e-5;

  @Inject
  ModelHost host;

  @Inject
  MeterRegistry registry;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  static float[] member(int m) {
    return randomPrompt(1000 + m, LENGTHS[m] * D);
  }

  static PromptRef inlineEnsemble(CombinationRule rule) {
    InlineEnsemble.Builder e = InlineEnsemble.newBuilder().setRule(rule);
    for (int m = 0; m < LENGTHS.length; m++) {
      e.addMembers(Tensors.float32(member(m), LENGTHS[m], D));
    }
    return PromptRef.newBuilder().setEnsemble(e).build();
  }

  static ScoreRequest scoreRequest(PromptRef p) {
    ScoreRequest.Builder r = ScoreRequest.newBuilder().addPrompts(p);
    for (String in : new String[] {"the film was great", "a dull and tired plot", "it was fine"}) {
      r.addExamples(ScoreExample.newBuilder().setInput(text(in)).addCandidates(text("positive"))
          .addCandidates(text("negative")).addCandidates(text("neutral")));
    }
    return r.build();
  }

  static GenerateRequest generateRequest(PromptRef p) {
    GenerateRequest.Builder r = GenerateRequest.newBuilder().addPrompts(p).setMaxNewTokens(6);
    for (String in : new String[] {"translate: the house", "summarize: a long day at work", "hello"}) {
      r.addInputs(GenerateInput.newBuilder().setInput(text(in)));
    }
    return r.build();
  }

  /** [count, total rows] of executed engine calls of this op so far. */
  double[] batches(String op) {
    DistributionSummary s = registry.find("promptune.runtime.batch.examples").tags("op", op).summary();
    return s == null ? new double[2] : new double[] {s.count(), s.totalAmount()};
  }

  List<ScoreResponse> singleScores() {
    List<ScoreResponse> out = new ArrayList<>();
    for (int m = 0; m < LENGTHS.length; m++) {
      out.add(stub().score(scoreRequest(prompt(member(m), LENGTHS[m], D))));
    }
    return out;
  }

  void assertScoreEnsemble(ScoreResponse ens, List<ScoreResponse> singles, CombinationRule rule) {
    assertEquals(singles.get(0).getExamplesCount(), ens.getExamplesCount());
    for (int i = 0; i < ens.getExamplesCount(); i++) {
      ExampleScores e = ens.getExamples(i);
      assertEquals(rule, e.getRule());
      assertEquals(LENGTHS.length, e.getMembersCount());
      double[][] sums = new double[LENGTHS.length][];
      for (int m = 0; m < LENGTHS.length; m++) {
        ExampleScores single = singles.get(m).getExamples(i);
        MemberScores got = e.getMembers(m);
        assertEquals(single.getBestIndex(), got.getBestIndex(), "example " + i + " member " + m);
        sums[m] = new double[single.getCandidatesCount()];
        for (int c = 0; c < single.getCandidatesCount(); c++) {
          assertEquals(single.getCandidates(c).getSumLogProb(), got.getCandidates(c).getSumLogProb(), TOL);
          assertEquals(single.getCandidates(c).getNumTokens(), got.getCandidates(c).getNumTokens());
          sums[m][c] = single.getCandidates(c).getSumLogProb();
        }
      }
      // The combined answer, from the single calls' numbers by the rule's definition.
      int[] votes = new int[sums[0].length];
      double[] mean = new double[sums[0].length];
      for (double[] s : sums) {
        votes[EnsembleCombiner.argmax(s)]++;
        for (int c = 0; c < s.length; c++) {
          mean[c] += s[c] / sums.length;
        }
      }
      for (int c = 0; c < mean.length; c++) {
        assertEquals(mean[c], e.getCandidates(c).getSumLogProb(), TOL);
        assertEquals(votes[c], e.getVotes(c));
      }
      int expected;
      if (rule == CombinationRule.MEAN_LOG_PROB) {
        expected = EnsembleCombiner.argmax(mean);
      } else {
        expected = -1;
        double bestSum = Double.NEGATIVE_INFINITY;
        for (int m = 0; m < sums.length; m++) { // member order: the earliest answer keeps a full tie
          int c = EnsembleCombiner.argmax(sums[m]);
          double voters = 0;
          for (double[] s : sums) {
            voters += EnsembleCombiner.argmax(s) == c ? s[c] : 0;
          }
          if (expected < 0 || votes[c] > votes[expected] || (votes[c] == votes[expected] && voters > bestSum)) {
            expected = c;
            bestSum = voters;
          }
        }
      }
      assertEquals(expected, e.getBestIndex(), "example " + i + " combined (" + rule + ")");
    }
  }

  @Test
  void scoreEnsembleOfThreeInlineMembersEqualsThreeSingleCallsInOneEngineCall() {
    List<ScoreResponse> singles = singleScores();
    for (CombinationRule rule : new CombinationRule[] {CombinationRule.MAJORITY_VOTE, CombinationRule.MEAN_LOG_PROB}) {
      double[] before = batches("score");
      ScoreResponse ens = stub().score(scoreRequest(inlineEnsemble(rule)));
      double[] after = batches("score");
      assertEquals(1, after[0] - before[0], "one engine call for the whole ensemble");
      assertEquals(3 * LENGTHS.length * 3, after[1] - before[1], "3 inputs x 3 members x 3 candidates rows");
      assertScoreEnsemble(ens, singles, rule);
    }
    // A single-prompt answer carries no ensemble fields.
    assertEquals(0, singles.get(0).getExamples(0).getMembersCount());
  }

  @Test
  void generateEnsembleOfThreeInlineMembersEqualsThreeSingleCallsInOneEngineCall() {
    List<GenerateResponse> singles = new ArrayList<>();
    for (int m = 0; m < LENGTHS.length; m++) {
      singles.add(stub().generate(generateRequest(prompt(member(m), LENGTHS[m], D))));
    }
    double[] before = batches("generate");
    GenerateResponse ens = stub().generate(generateRequest(inlineEnsemble(CombinationRule.MAJORITY_VOTE)));
    double[] after = batches("generate");
    assertEquals(1, after[0] - before[0], "one decode call for the whole ensemble");
    assertEquals(3 * LENGTHS.length, after[1] - before[1], "3 inputs x 3 members rows");
    for (int i = 0; i < ens.getGenerationsCount(); i++) {
      Generation g = ens.getGenerations(i);
      assertEquals(LENGTHS.length, g.getMembersCount());
      assertEquals(CombinationRule.MAJORITY_VOTE, g.getRule());
      List<String> texts = new ArrayList<>();
      double[] lps = new double[LENGTHS.length];
      for (int m = 0; m < LENGTHS.length; m++) {
        Generation single = singles.get(m).getGenerations(i);
        Generation got = g.getMembers(m);
        assertEquals(single.getTokenIdsList(), got.getTokenIdsList(), "input " + i + " member " + m);
        assertEquals(single.getText(), got.getText());
        assertEquals(single.getSumLogProb(), got.getSumLogProb(), TOL);
        assertEquals(single.getFinishReason(), got.getFinishReason());
        texts.add(single.getText());
        lps[m] = single.getSumLogProb();
      }
      EnsembleCombiner.Vote v = EnsembleCombiner.vote(texts, lps);
      assertEquals(texts.get(v.winner()), g.getText());
      assertEquals(g.getMembers(v.winner()).getTokenIdsList(), g.getTokenIdsList());
      assertEquals(texts.stream().filter(t -> t.equals(g.getText())).count(), g.getVotes());
    }
  }

  @Test
  void registryEnsembleVersionServesItsMembersAndOtherCallsRefuseIt() {
    String fp = host.service().engine().fingerprint();
    Ensemble.Builder ens = Ensemble.newBuilder().setRule(CombinationRule.MEAN_LOG_PROB);
    for (int m = 0; m < LENGTHS.length; m++) {
      String id = UUID.randomUUID().toString();
      ens.addMembers(EnsembleMember.newBuilder().setVersionId(id).setPromptName("member-" + m).setNumber(1)
          .setLength(LENGTHS[m]).setDModel(D).setTensor(Tensors.float32(member(m), LENGTHS[m], D)));
    }
    PromptVersion v = PromptVersion.newBuilder().setId(UUID.randomUUID().toString()).setPromptName("ens-"
        + UUID.randomUUID()).setNumber(1).setKind(VersionKind.ENSEMBLE).setEnsemble(ens).setDModel(D)
        .setBaseModelId("tiny").setBaseModelFingerprint(fp).build();
    FakeRegistryService.VERSIONS.put(v.getId(), v);
    PromptRef ref = PromptRef.newBuilder().setVersion(VersionSelector.newBuilder().setRef(v.getId())).build();

    assertScoreEnsemble(stub().score(scoreRequest(ref)), singleScores(), CombinationRule.MEAN_LOG_PROB);
    int fetches = FakeRegistryService.TENSOR_FETCHES.get();
    assertScoreEnsemble(stub().score(scoreRequest(ref)), singleScores(), CombinationRule.MEAN_LOG_PROB);
    assertEquals(fetches, FakeRegistryService.TENSOR_FETCHES.get(), "the ensemble and its members come from cache");

    // name@environment asks the registry for the id (metadata only), then serves the cached ensemble
    FakeRegistryService.ALIASES.put(v.getPromptName() + "@prod", v.getId());
    PromptRef alias = PromptRef.newBuilder().setVersion(VersionSelector.newBuilder()
        .setRef(v.getPromptName() + "@prod")).build();
    assertScoreEnsemble(stub().score(scoreRequest(alias)), singleScores(), CombinationRule.MEAN_LOG_PROB);
    assertEquals(fetches, FakeRegistryService.TENSOR_FETCHES.get());

    assertError(Code.FAILED_PRECONDITION, ErrorReason.ENSEMBLE_NOT_SUPPORTED, () -> stub().nearestTokens(
        NearestTokensRequest.newBuilder().setPrompt(alias).build()), "prompt", "ensemble");
    assertError(Code.FAILED_PRECONDITION, ErrorReason.ENSEMBLE_NOT_SUPPORTED, () -> stub().forwardBackward(
        ForwardBackwardRequest.newBuilder().addPrompts(ref).addExamples(TrainingExample.newBuilder()
            .setInput(text("x")).setTarget(text("y"))).build()), "prompts[0]", "ensemble");
    assertError(Code.FAILED_PRECONDITION, ErrorReason.ENSEMBLE_NOT_SUPPORTED, () -> stub().forwardBackward(
        ForwardBackwardRequest.newBuilder().addPrompts(inlineEnsemble(CombinationRule.MAJORITY_VOTE))
            .addExamples(TrainingExample.newBuilder().setInput(text("x")).setTarget(text("y"))).build()),
        "ensemble");
  }

  @Test
  void inlineEnsembleNeedsTwoMembers() {
    PromptRef one = PromptRef.newBuilder().setEnsemble(InlineEnsemble.newBuilder()
        .addMembers(Tensors.float32(member(0), LENGTHS[0], D))).build();
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> stub().score(scoreRequest(one)),
        "prompts[0].ensemble.members", "2 to 32");
    assertFalse(inlineEnsemble(CombinationRule.MAJORITY_VOTE).getEnsemble().getMembersList().isEmpty());
  }
}
