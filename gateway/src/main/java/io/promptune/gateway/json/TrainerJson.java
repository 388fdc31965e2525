package io.promptune.gateway.json;

import static io.promptune.gateway.json.Protos.name;
import static io.promptune.gateway.json.Protos.str;
import static io.promptune.gateway.json.Protos.time;

import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.EvaluationProgressEvent;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.PublishedEvent;
import java.util.List;

/** JSON shapes of the trainer's messages (the job spec has its own class, {@link JobSpecJson}). */
public final class TrainerJson {

  private TrainerJson() {}

  public record DatasetJson(String id, String name, String description, String format, List<String> fields,
      long numTrain, long numValidation, String createTime) {

    public static DatasetJson of(Dataset d) {
      return new DatasetJson(d.getId(), d.getName(), str(d.getDescription()), Protos.name(d.getFormat()),
          d.getFieldsList(), d.getNumTrain(), d.getNumValidation(), time(d.getCreateTime()));
    }
  }

  /**
   * A job. {@code kind} is training (with {@code spec}) or evaluation (with {@code evaluation}, and once it has
   * succeeded {@code evaluation_outcome}). An ensemble training job lists its member versions in
   * {@code published_member_version_ids}; {@code published_version_id} is then the ensemble.
   */
  public record JobJson(String id, String kind, JobSpecJson spec, EvaluationSpecJson evaluation,
      EvaluationOutcomeJson evaluationOutcome, String state, String reason, int step, float lastLoss,
      double bestMetric, int bestStep, String publishedVersionId, List<String> publishedMemberVersionIds,
      String submittedBy, String worker, String createTime, String startTime, String endTime, int attempts) {

    public static JobJson of(Job j) {
      return new JobJson(j.getId(), name(j.getKind() == JobKind.JOB_KIND_UNSPECIFIED ? JobKind.JOB_KIND_TRAINING
          : j.getKind()).replaceFirst("^job_kind_", ""), j.hasSpec() ? JobSpecJson.of(j.getSpec()) : null,
          j.hasEvaluation() ? EvaluationSpecJson.of(j.getEvaluation()) : null,
          j.hasEvaluationOutcome() ? EvaluationOutcomeJson.of(j.getEvaluationOutcome()) : null, name(j.getState()),
          str(j.getReason()), j.getStep(), j.getLastLoss(), j.getBestMetric(), j.getBestStep(),
          str(j.getPublishedVersionId()), nullIfEmpty(j.getPublishedMemberVersionIdsList()),
          str(j.getSubmittedBy()), str(j.getWorker()), time(j.getCreateTime()), time(j.getStartTime()),
          time(j.getEndTime()), j.getAttempts());
    }
  }

  /** What a finished evaluation job recorded with the registry ({@code evaluation_id}: the registry's record). */
  public record EvaluationOutcomeJson(String versionId, String datasetId, String split, String metric, double value,
      long examples, long evaluationId, List<Double> memberValues) {

    public static EvaluationOutcomeJson of(EvaluationOutcome o) {
      return new EvaluationOutcomeJson(o.getVersionId(), o.getDatasetId(), str(o.getSplit()), o.getMetric(),
          o.getValue(), o.getExamples(), o.getEvaluationId(), nullIfEmpty(o.getMemberValuesList()));
    }
  }

  static <T> List<T> nullIfEmpty(List<T> l) {
    return l == null || l.isEmpty() ? null : List.copyOf(l);
  }

  /** Body of POST /v1/jobs/{id}/cancel. */
  public record CancelJob(String reason) {}

  /**
   * One progress event, flattened: {@code type} says which of the other fields are set (step: step, loss,
   * learning_rate, grad_norm, examples_per_second; eval: step, metric, value, best, loss, and for an ensemble job
   * member_values and member_mean; state: state, reason, worker; checkpoint: step; published: version_id,
   * prompt_name, version_number, and for an ensemble job member_version_ids; evaluation_progress: examples_done,
   * examples_total, correct).
   */
  public record JobEventJson(String jobId, long sequence, String time, String type, Integer step, Float loss,
      Float learningRate, Float gradNorm, Float examplesPerSecond, String metric, Double value, Boolean best,
      List<Double> memberValues, Double memberMean, String state, String reason, String worker, String versionId,
      String promptName, Integer versionNumber, List<String> memberVersionIds, Long examplesDone,
      Long examplesTotal, Long correct) {

    public static JobEventJson of(JobEvent e) {
      Fields f = new Fields();
      switch (e.getKindCase()) {
        case STEP -> {
          f.type = "step";
          f.step = e.getStep().getStep();
          f.loss = e.getStep().getLoss();
          f.learningRate = e.getStep().getLearningRate();
          f.gradNorm = e.getStep().getGradNorm();
          f.examplesPerSecond = e.getStep().getExamplesPerSecond();
        }
        case EVAL -> {
          EvalEvent v = e.getEval();
          f.type = "eval";
          f.step = v.getStep();
          f.loss = v.getLoss();
          f.metric = v.getMetric();
          f.value = v.getValue();
          f.best = v.getBest();
          if (v.getMemberValuesCount() > 0) {
            f.memberValues = List.copyOf(v.getMemberValuesList());
            f.memberMean = v.getMemberMean();
          }
        }
        case STATE -> {
          f.type = "state";
          f.state = name(e.getState().getState());
          f.reason = str(e.getState().getReason());
          f.worker = str(e.getState().getWorker());
        }
        case CHECKPOINT -> {
          f.type = "checkpoint";
          f.step = e.getCheckpoint().getStep();
        }
        case PUBLISHED -> {
          PublishedEvent p = e.getPublished();
          f.type = "published";
          f.versionId = p.getVersionId();
          f.promptName = p.getPromptName();
          f.versionNumber = p.getVersionNumber();
          f.memberVersionIds = nullIfEmpty(p.getMemberVersionIdsList());
        }
        case EVALUATION_PROGRESS -> {
          EvaluationProgressEvent p = e.getEvaluationProgress();
          f.type = "evaluation_progress";
          f.examplesDone = p.getExamplesDone();
          f.examplesTotal = p.getExamplesTotal();
          f.correct = p.getCorrect();
        }
        default -> f.type = "unknown";
      }
      return new JobEventJson(e.getJobId(), e.getSequence(), Protos.time(e.getTime()), f.type, f.step, f.loss,
          f.learningRate, f.gradNorm, f.examplesPerSecond, f.metric, f.value, f.best, f.memberValues, f.memberMean,
          f.state, f.reason, f.worker, f.versionId, f.promptName, f.versionNumber, f.memberVersionIds,
          f.examplesDone, f.examplesTotal, f.correct);
    }

    /** The fields one event sets; the rest stay null (and are left out of the JSON). */
    private static final class Fields {
      String type;
      Integer step;
      Float loss;
      Float learningRate;
      Float gradNorm;
      Float examplesPerSecond;
      String metric;
      Double value;
      Boolean best;
      List<Double> memberValues;
      Double memberMean;
      String state;
      String reason;
      String worker;
      String versionId;
      String promptName;
      Integer versionNumber;
      List<String> memberVersionIds;
      Long examplesDone;
      Long examplesTotal;
      Long correct;
    }
  }
}
