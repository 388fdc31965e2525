package io.promptune.trainer.format;

import io.promptune.api.v1.TaskFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Built-in task formats, in T5's text-to-text style (the GLUE/SuperGLUE preprocessors: task name, then each
 * feature as "name: value" in sorted feature order; targets are the label names):
 *
 * <ul>
 *   <li>identity: "{input}" → "{target}"</li>
 *   <li>sst2: "sst2 sentence: {sentence}" → label 0/1 → negative/positive</li>
 *   <li>boolq: "boolq passage: {passage} question: {question}" → label 0/1 (or false/true) → False/True</li>
 *   <li>rte: "rte sentence1: {sentence1} sentence2: {sentence2}" → label 0/1 → entailment/not_entailment</li>
 * </ul>
 *
 * Any non-empty part of the request overrides the built-in's. A name that is not built in uses the request's
 * templates, with "{input}" and "{target}" for empty ones.
 */
public final class TaskFormats {

  private record Builtin(String input, String target, Map<String, String> labelMap, List<String> labels) {}

  private static final SortedMap<String, Builtin> BUILTINS = new TreeMap<>(Map.of(
      "identity", new Builtin("{input}", "{target}", Map.of(), List.of()),
      "sst2", new Builtin("sst2 sentence: {sentence}", "{label}",
          Map.of("0", "negative", "1", "positive"), List.of("negative", "positive")),
      "boolq", new Builtin("boolq passage: {passage} question: {question}", "{label}",
          Map.of("0", "False", "1", "True", "false", "False", "true", "True"), List.of("False", "True")),
      "rte", new Builtin("rte sentence1: {sentence1} sentence2: {sentence2}", "{label}",
          Map.of("0", "entailment", "1", "not_entailment"), List.of("entailment", "not_entailment"))));

  private TaskFormats() {}

  public static List<String> builtinNames() {
    return new ArrayList<>(BUILTINS.keySet());
  }

  /** @throws IllegalArgumentException for a malformed template or an inconsistent label set */
  public static ResolvedFormat resolve(TaskFormat f) {
    String name = f.getName().isEmpty() ? "identity" : f.getName();
    Builtin b = BUILTINS.get(name);
    String in = !f.getInputTemplate().isEmpty() ? f.getInputTemplate() : b != null ? b.input() : "{input}";
    String out = !f.getTargetTemplate().isEmpty() ? f.getTargetTemplate() : b != null ? b.target() : "{target}";
    SortedMap<String, String> labelMap = new TreeMap<>(
        !f.getLabelMapMap().isEmpty() || b == null ? f.getLabelMapMap() : b.labelMap());
    List<String> labels;
    if (f.getLabelsCount() > 0) {
      labels = List.copyOf(f.getLabelsList());
    } else if (!f.getLabelMapMap().isEmpty() || b == null) {
      labels = ResolvedFormat.labelsFromMap(labelMap);
    } else {
      labels = b.labels();
    }
    if (labels.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("task_format: labels must not be empty strings");
    }
    if (labels.stream().distinct().count() != labels.size()) {
      throw new IllegalArgumentException("task_format: labels must be distinct, got " + labels);
    }
    if (!labelMap.isEmpty() && !labels.isEmpty()) {
      for (String v : labelMap.values()) {
        if (!labels.contains(v)) {
          throw new IllegalArgumentException("task_format: label_map value \"" + v + "\" is not in labels " + labels);
        }
      }
    }
    return new ResolvedFormat(name, Template.parse(in), Template.parse(out), labelMap, labels);
  }
}
