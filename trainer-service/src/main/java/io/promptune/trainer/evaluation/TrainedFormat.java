package io.promptune.trainer.evaluation;

import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TaskFormat;
import io.promptune.trainer.format.TaskFormats;
import io.promptune.trainer.job.Publisher;
import java.util.Map;
import java.util.Optional;

/**
 * The task format a registry version was trained with, as far as the registry records it. The trainer publishes the
 * whole format as the {@code task_format_proto} hyperparameter (base64 protobuf), which rebuilds any format, custom
 * label maps included. Versions published before that carry only the name and templates ({@code task_format},
 * {@code input_template}, {@code target_template}), so for them only a built-in format (whose label map is known
 * here) can be rebuilt; anything else gives nothing and the caller must name the format.
 */
final class TrainedFormat {

  private TrainedFormat() {}

  static Optional<TaskFormat> of(PromptVersion v) {
    Map<String, String> h = v.getHyperparametersMap();
    String recorded = h.getOrDefault(Publisher.TASK_FORMAT_PROTO, "");
    if (!recorded.isEmpty()) {
      try {
        return Optional.of(TaskFormat.parseFrom(java.util.Base64.getDecoder().decode(recorded)));
      } catch (IllegalArgumentException | com.google.protobuf.InvalidProtocolBufferException e) {
        return Optional.empty(); // not written by a trainer: fall through to asking for the format
      }
    }
    String name = h.getOrDefault("task_format", "");
    if (name.isEmpty() || !TaskFormats.builtinNames().contains(name)) {
      return Optional.empty();
    }
    return Optional.of(TaskFormat.newBuilder().setName(name)
        .setInputTemplate(h.getOrDefault("input_template", ""))
        .setTargetTemplate(h.getOrDefault("target_template", "")).build());
  }
}
