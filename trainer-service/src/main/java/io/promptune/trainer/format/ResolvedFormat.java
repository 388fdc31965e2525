package io.promptune.trainer.format;

import io.promptune.api.v1.TaskFormat;
import io.promptune.trainer.dataset.DataRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeSet;

/**
 * A task format with its defaults applied: renders records into (input, target) text and knows the label set.
 *
 * @param labels the target texts of a classification task, in a fixed order; empty for open-ended tasks
 */
public record ResolvedFormat(String name, Template input, Template target, SortedMap<String, String> labelMap,
    List<String> labels) {

  /** Fields of the dataset the templates read. */
  public List<String> requiredFields() {
    TreeSet<String> f = new TreeSet<>(input.fields());
    f.addAll(target.fields());
    return List.copyOf(f);
  }

  public boolean hasLabels() {
    return !labels.isEmpty();
  }

  /** @throws IllegalArgumentException when a field is missing or the label map has no entry for the value */
  public TextPair apply(DataRecord r) {
    String in = input.render(r.fields());
    String raw = target.render(r.fields());
    String out = raw;
    if (!labelMap.isEmpty()) {
      out = labelMap.get(raw);
      if (out == null) {
        throw new IllegalArgumentException("label_map has no entry for \"" + raw + "\"");
      }
    }
    return new TextPair(in, out);
  }

  /** The format as stored in a job spec: templates, label map and labels spelled out. */
  public TaskFormat toProto() {
    return TaskFormat.newBuilder()
        .setName(name)
        .setInputTemplate(input.source())
        .setTargetTemplate(target.source())
        .putAllLabelMap(labelMap)
        .addAllLabels(labels)
        .build();
  }

  static List<String> labelsFromMap(SortedMap<String, String> labelMap) {
    List<String> out = new ArrayList<>();
    for (String v : labelMap.values()) { // in key order: "0" -> negative, "1" -> positive
      if (!out.contains(v)) {
        out.add(v);
      }
    }
    return out;
  }
}
