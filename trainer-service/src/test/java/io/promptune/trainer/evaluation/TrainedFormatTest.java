package io.promptune.trainer.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TaskFormat;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The format an evaluation job falls back on: the one the version was trained with, as the registry records it. */
class TrainedFormatTest {

  @Test
  void aCustomFormatWithItsLabelMapComesBackWhole() {
    TaskFormat custom = TaskFormat.newBuilder().setName("reviews").setInputTemplate("review: {text}")
        .setTargetTemplate("{stars}").putLabelMap("1", "bad").putLabelMap("5", "good").addLabels("bad")
        .addLabels("good").build();
    PromptVersion v = PromptVersion.newBuilder()
        .putHyperparameters("task_format", "reviews")
        .putHyperparameters("task_format_proto", Base64.getEncoder().encodeToString(custom.toByteArray())).build();
    assertEquals(custom, TrainedFormat.of(v).orElseThrow());
  }

  @Test
  void olderVersionsRebuildOnlyBuiltInFormats() {
    PromptVersion builtin = PromptVersion.newBuilder().putHyperparameters("task_format", "sst2")
        .putHyperparameters("input_template", "").putHyperparameters("target_template", "").build();
    assertEquals("sst2", TrainedFormat.of(builtin).orElseThrow().getName());
    PromptVersion custom = PromptVersion.newBuilder().putHyperparameters("task_format", "reviews").build();
    assertTrue(TrainedFormat.of(custom).isEmpty());
    assertTrue(TrainedFormat.of(PromptVersion.getDefaultInstance()).isEmpty());
  }

  @Test
  void somethingNotWrittenByATrainerIsIgnored() {
    PromptVersion v = PromptVersion.newBuilder().putHyperparameters("task_format", "reviews")
        .putHyperparameters("task_format_proto", "not base64 !").build();
    assertTrue(TrainedFormat.of(v).isEmpty());
  }
}
