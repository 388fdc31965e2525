package io.promptune.trainer.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.TaskFormat;
import io.promptune.trainer.dataset.DataRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TaskFormatsTest {

  private static DataRecord rec(Map<String, String> m) {
    return new DataRecord(new TreeMap<>(m));
  }

  @Test
  void sst2() {
    ResolvedFormat f = TaskFormats.resolve(TaskFormat.newBuilder().setName("sst2").build());
    assertEquals(List.of("label", "sentence"), f.requiredFields());
    assertEquals(List.of("negative", "positive"), f.labels());
    TextPair p = f.apply(rec(Map.of("sentence", "a gripping film", "label", "1")));
    assertEquals(new TextPair("sst2 sentence: a gripping film", "positive"), p);
    var e = assertThrows(IllegalArgumentException.class, () -> f.apply(rec(Map.of("sentence", "x", "label", "2"))));
    assertEquals("label_map has no entry for \"2\"", e.getMessage());
  }

  @Test
  void boolqAndRte() {
    ResolvedFormat boolq = TaskFormats.resolve(TaskFormat.newBuilder().setName("boolq").build());
    assertEquals(new TextPair("boolq passage: P question: Q?", "True"),
        boolq.apply(rec(Map.of("passage", "P", "question", "Q?", "label", "true"))));
    assertEquals(List.of("False", "True"), boolq.labels());
    ResolvedFormat rte = TaskFormats.resolve(TaskFormat.newBuilder().setName("rte").build());
    assertEquals(new TextPair("rte sentence1: A sentence2: B", "not_entailment"),
        rte.apply(rec(Map.of("sentence1", "A", "sentence2", "B", "label", "1"))));
  }

  @Test
  void identityAndEmptyName() {
    for (String name : List.of("identity", "")) {
      ResolvedFormat f = TaskFormats.resolve(TaskFormat.newBuilder().setName(name).build());
      assertEquals(new TextPair("in", "out"), f.apply(rec(Map.of("input", "in", "target", "out"))));
      assertTrue(f.labels().isEmpty());
    }
  }

  @Test
  void customFormatDerivesLabelsFromTheMapInKeyOrder() {
    ResolvedFormat f = TaskFormats.resolve(TaskFormat.newBuilder().setName("topic")
        .setInputTemplate("classify {{topic}}: {title} | {body}").setTargetTemplate("{y}")
        .putLabelMap("2", "sports").putLabelMap("0", "world").putLabelMap("1", "business").putLabelMap("3", "world")
        .build());
    assertEquals(List.of("world", "business", "sports"), f.labels());
    assertEquals(new TextPair("classify {topic}: T | B", "sports"),
        f.apply(rec(Map.of("title", "T", "body", "B", "y", "2"))));
    assertEquals(List.of("body", "title", "y"), f.requiredFields());
  }

  @Test
  void requestOverridesTheBuiltin() {
    ResolvedFormat f = TaskFormats.resolve(TaskFormat.newBuilder().setName("sst2")
        .setInputTemplate("{sentence}").putLabelMap("neg", "bad").putLabelMap("pos", "good").build());
    assertEquals(new TextPair("fine", "good"), f.apply(rec(Map.of("sentence", "fine", "label", "pos"))));
    assertEquals(List.of("bad", "good"), f.labels());
    assertEquals("{label}", f.target().source());
  }

  @Test
  void badTemplatesAndLabels() {
    assertThrows(IllegalArgumentException.class,
        () -> TaskFormats.resolve(TaskFormat.newBuilder().setName("x").setInputTemplate("a {b").build()));
    assertThrows(IllegalArgumentException.class,
        () -> TaskFormats.resolve(TaskFormat.newBuilder().setName("x").setInputTemplate("a } b").build()));
    assertThrows(IllegalArgumentException.class, () -> TaskFormats.resolve(TaskFormat.newBuilder().setName("x")
        .putLabelMap("0", "a").addLabels("b").build()));
    assertThrows(IllegalArgumentException.class, () -> TaskFormats.resolve(TaskFormat.newBuilder().setName("x")
        .addLabels("a").addLabels("a").build()));
    ResolvedFormat f = TaskFormats.resolve(TaskFormat.newBuilder().setName("x").build());
    var e = assertThrows(IllegalArgumentException.class, () -> f.apply(rec(Map.of("input", "a"))));
    assertEquals("no field \"target\"", e.getMessage());
  }

  @Test
  void resolvedFormatRoundTripsThroughTheStoredSpec() {
    ResolvedFormat f = TaskFormats.resolve(TaskFormat.newBuilder().setName("sst2").build());
    ResolvedFormat again = TaskFormats.resolve(f.toProto());
    assertEquals(f.labels(), again.labels());
    assertEquals(f.labelMap(), again.labelMap());
    assertEquals(f.input().source(), again.input().source());
  }
}
