package io.promptune.trainer.evaluation;

import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TaskFormat;
import io.promptune.trainer.format.TaskFormats;
import java.util.Map;
import java.util.Optional;

/**
 * The task format a registry version was trained with, as far as the registry records it. The trainer publishes
 * the format's name and templates as hyperparameters ({@code task_format}, {@code input_template},
 * {@code target_template}) but not its label map, so only a built-in format (whose label map is known here) can be
 * rebuilt; a custom format, or a version published without them, gives nothing and the caller must name the format.
 */
final class TrainedFormat {

  private TrainedFormat() {}

  static Optional<TaskFormat> of(PromptVersion v) {
    Map<String, String> h = v.getHyperparametersMap();
    String name = h.getOrDefault("task_format", "");
    if (name.isEmpty() || !TaskFormats.builtinNames().contains(name)) {
      return Optional.empty();
    }
    return Optional.of(TaskFormat.newBuilder().setName(name)
        .setInputTemplate(h.getOrDefault("input_template", ""))
        .setTargetTemplate(h.getOrDefault("target_template", "")).build());
  }
}
