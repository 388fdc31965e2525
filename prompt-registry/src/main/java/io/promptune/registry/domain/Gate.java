package io.promptune.registry.domain;

import java.time.Instant;

/**
 * A promotion gate of an environment: a version entering it needs an evaluation on (datasetId, split, metric) whose
 * latest value reaches {@code threshold} (when set) and is not worse than the environment's current version's by
 * more than {@code maxRegression} (when set). Applies to prompts matching {@code promptName} and {@code task}
 * ("" = any).
 */
public record Gate(String environment, String name, String promptName, String task, String datasetId,
    String split, String metric, Double threshold, Double maxRegression, boolean lowerIsBetter, String description,
    String updatedBy, Instant updatedAt) {

  public boolean appliesTo(Prompt prompt) {
    return (promptName.isEmpty() || promptName.equals(prompt.name()))
        && (task.isEmpty() || task.equals(prompt.task()));
  }

  /** "accuracy on <dataset>/validation". */
  public String subject() {
    return metric + " on " + datasetId + "/" + split;
  }
}
