package io.promptune.trainer.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.RandomUniformInit;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.TextInit;
import io.promptune.common.errors.ServiceException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Submit-time validation of ensemble_size, member_inits and ensemble_rule. */
class JobSpecsEnsembleTest {

  private static final ModelInfo MODEL = ModelInfo.newBuilder().setModelId("toy").setFingerprint("fp").setDModel(8)
      .setMaxPromptLength(128).build();
  private static final UUID JOB = UUID.fromString("00000000-0000-0000-0000-000000000001");

  private static JobSpec.Builder spec() {
    return JobSpec.newBuilder().setDataset("d").setMaxSteps(10).setSeed(7)
        .setTaskFormat(TaskFormat.newBuilder().setName("sst2"));
  }

  private static JobSpec normalize(JobSpec s) {
    return JobSpecs.normalize(s, JOB, "dataset-id", List.of("sentence", "label"), true, MODEL, sel -> {
      throw new AssertionError("no registry lookups expected");
    });
  }

  private static ServiceException refused(JobSpec s) {
    ServiceException e = assertThrows(ServiceException.class, () -> normalize(s));
    assertEquals(ErrorReason.INVALID_ARGUMENT, e.reason());
    return e;
  }

  @Test
  void sizeZeroOrOneIsASinglePromptJobUnchanged() {
    JobSpec zero = normalize(spec().build());
    JobSpec one = normalize(spec().setEnsembleSize(1).build());
    assertEquals(0, zero.getEnsembleSize());
    assertEquals(0, zero.getMemberInitsCount());
    assertEquals(CombinationRule.COMBINATION_RULE_UNSPECIFIED, zero.getEnsembleRule(), "nothing added to the spec");
    assertEquals(zero, one.toBuilder().clearEnsembleSize().build());
    assertEquals(1, JobSpecs.members(zero));
    assertEquals(1, JobSpecs.members(one));
  }

  @Test
  void sizesOutsideTwoToThirtyTwoAreRefused() {
    for (int bad : new int[] {-1, 33, 1000}) {
      ServiceException e = refused(spec().setEnsembleSize(bad).build());
      assertEquals("spec.ensemble_size", e.metadata().get("field"));
      assertTrue(e.getMessage().contains("between 2 and 32") && e.getMessage().contains("got " + bad),
          e.getMessage());
    }
    assertEquals(32, normalize(spec().setEnsembleSize(32).build()).getEnsembleSize());
    ServiceException overLimit = assertThrows(ServiceException.class, () -> JobSpecs.normalize(
        spec().setEnsembleSize(5).build(), JOB, "dataset-id", List.of("sentence", "label"), true,
        MODEL.toBuilder().setMaxBatchExamples(4).build(), sel -> null));
    assertTrue(overLimit.getMessage().contains("over the runtime's 4 examples per request"), overLimit.getMessage());
    assertEquals(2, normalize(spec().setEnsembleSize(2).build()).getEnsembleSize());
  }

  @Test
  void memberInitsLongerThanTheEnsembleAreRefused() {
    PromptInit text = PromptInit.newBuilder().setText(TextInit.newBuilder().setText("great movie")).build();
    ServiceException e = refused(spec().setEnsembleSize(2).addMemberInits(text).addMemberInits(text)
        .addMemberInits(text).build());
    assertEquals("spec.member_inits", e.metadata().get("field"));
    assertTrue(e.getMessage().contains("3 entries but ensemble_size is 2"), e.getMessage());
    ServiceException single = refused(spec().addMemberInits(text).build());
    assertTrue(single.getMessage().contains("use init for one prompt"), single.getMessage());
  }

  @Test
  void memberInitsAreValidatedAndDefaultedLikeInit() {
    JobSpec s = normalize(spec().setEnsembleSize(3)
        .addMemberInits(PromptInit.newBuilder().setRandomUniform(RandomUniformInit.getDefaultInstance())).build());
    assertEquals(0.5f, s.getMemberInits(0).getRandomUniform().getRange(), "range 0 means 0.5, as for init");
    assertEquals(CombinationRule.MAJORITY_VOTE, s.getEnsembleRule(), "unspecified rule becomes MAJORITY_VOTE");
    assertEquals(PromptInit.MethodCase.RANDOM_UNIFORM, JobSpecs.memberInit(s, 0).getMethodCase());
    assertEquals(s.getInit(), JobSpecs.memberInit(s, 1), "members past member_inits use init");
    assertEquals(7, JobSpecs.memberSeed(s, 0));
    assertEquals(9, JobSpecs.memberSeed(s, 2));

    ServiceException e = refused(spec().setEnsembleSize(2).addMemberInits(PromptInit.newBuilder()
        .setText(TextInit.newBuilder().setText("  "))).build());
    assertEquals("spec.member_inits[0].text.text", e.metadata().get("field"));
    ServiceException unset = refused(spec().setEnsembleSize(2).addMemberInits(PromptInit.getDefaultInstance())
        .build());
    assertEquals("spec.member_inits[0]", unset.metadata().get("field"));
  }

  @Test
  void meanLogProbNeedsRankClassification() {
    assertEquals(CombinationRule.MEAN_LOG_PROB, normalize(spec().setEnsembleSize(2)
        .setEnsembleRule(CombinationRule.MEAN_LOG_PROB).build()).getEnsembleRule());
    ServiceException e = refused(spec().setEnsembleSize(2).setEnsembleRule(CombinationRule.MEAN_LOG_PROB)
        .setEvalMode(EvalMode.EXACT_MATCH).build());
    assertEquals("spec.ensemble_rule", e.metadata().get("field"));
  }
}
