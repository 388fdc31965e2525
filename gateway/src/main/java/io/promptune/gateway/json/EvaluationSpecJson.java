package io.promptune.gateway.json;

import static io.promptune.gateway.json.Protos.name;

import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.VersionSelector;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.JobSpecJson.TaskFormatJson;

/**
 * An evaluation job as JSON (the body of POST /v1/evaluation-jobs and the {@code evaluation} of an evaluation job):
 * evaluate a version or ensemble ({@code version}: an id, name:N or name@env) on a dataset split. This is how the
 * paper's zero-shot domain transfer is measured: a prompt trained on one dataset, evaluated on another.
 *
 * @param split validation (default) or train
 * @param taskFormat absent: the format the version was trained with, when the registry knows it
 * @param mode rank_classification or exact_match (absent: by the task's labels)
 * @param maxExamples the first N records only; 0 or absent: all
 * @param batchSize examples per runtime call; 0 or absent: 32
 */
public record EvaluationSpecJson(String version, String dataset, String split, TaskFormatJson taskFormat,
    String mode, Integer maxExamples, String truncation, Integer batchSize) {

  /** The proto spec; a 400 naming the field when something is missing or out of range. */
  public EvaluationSpec toProto() {
    if (version == null || version.isBlank()) {
      throw ApiError.invalidField("version", "Field 'version' is required: the version or ensemble to evaluate (an "
          + "id, name:N or name@env).");
    }
    if (dataset == null || dataset.isBlank()) {
      throw ApiError.invalidField("dataset", "Field 'dataset' is required: the id or name of an uploaded dataset "
          + "(POST /v1/datasets).");
    }
    EvaluationSpec.Builder b = EvaluationSpec.newBuilder()
        .setVersion(VersionSelector.newBuilder().setRef(version.trim()))
        .setDataset(dataset.trim())
        .setSplit(Protos.parse(Split.class, split, "split", Split.VALIDATION))
        .setMode(Protos.parse(EvalMode.class, mode, "mode", EvalMode.EVAL_MODE_UNSPECIFIED))
        .setMaxExamples(nonNegative(maxExamples, "max_examples"))
        .setTruncation(Protos.parse(Truncation.class, truncation, "truncation", Truncation.TRUNCATION_UNSPECIFIED))
        .setBatchSize(nonNegative(batchSize, "batch_size"));
    if (taskFormat != null) {
      b.setTaskFormat(JobSpecJson.taskFormatProto(taskFormat));
    }
    return b.build();
  }

  private static int nonNegative(Integer v, String field) {
    if (v != null && v < 0) {
      throw ApiError.invalidField(field, "Field '" + field + "' must be >= 0 (0 or absent: the default).");
    }
    return v == null ? 0 : v;
  }

  public static EvaluationSpecJson of(EvaluationSpec s) {
    return new EvaluationSpecJson(JobSpecJson.selector(s.getVersion()), s.getDataset(),
        name(s.getSplit() == Split.SPLIT_UNSPECIFIED ? Split.VALIDATION : s.getSplit()),
        s.hasTaskFormat() ? JobSpecJson.taskFormatJson(s.getTaskFormat()) : null, name(s.getMode()),
        s.getMaxExamples(), name(s.getTruncation()), s.getBatchSize());
  }

}
