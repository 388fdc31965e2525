package io.promptune.gateway.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskLabelsTest {

  @Test
  void theRequestWinsThenTheVersionThenTheBuiltInTask() {
    Map<String, String> h = Map.of("labels", "yes, no", "task_format", "sst2");
    assertEquals(new TaskLabels(List.of("a", "b"), "request"), TaskLabels.resolve(" a,,b ", h, List.of("j"), "rte"));
    assertEquals(new TaskLabels(List.of(), "request"), TaskLabels.resolve("", h, List.of("j"), "rte"));
    assertEquals(new TaskLabels(List.of("yes", "no"), "version_hyperparameters"), TaskLabels.resolve(null, h, List.of("j"), "rte"));
    assertEquals(new TaskLabels(List.of("j"), "training_job"),
        TaskLabels.resolve(null, Map.of("task_format", "sst2"), List.of("j"), "rte"));
    assertEquals(new TaskLabels(List.of("negative", "positive"), "task_format"),
        TaskLabels.resolve(null, Map.of("task_format", "sst2"), List.of(), "rte"));
    assertEquals(new TaskLabels(List.of("entailment", "not_entailment"), "prompt_task"),
        TaskLabels.resolve(null, Map.of("task_format", "mine"), List.of(), "rte"));
    assertEquals(new TaskLabels(List.of(), "none"), TaskLabels.resolve(null, Map.of(), List.of(), "sentiment"));
  }

  @Test
  void aPieceIsALabelWithoutItsWordMarkIgnoringCase() {
    TaskLabels l = new TaskLabels(List.of("positive", "True"), "request");
    assertEquals("positive", l.labelOf("\u2581positive"));
    assertEquals("positive", l.labelOf("Positive"));
    assertEquals("True", l.labelOf("\u2581true"));
    assertNull(l.labelOf("\u2581positively"));
    assertNull(l.labelOf("\u2581"));
  }
}
