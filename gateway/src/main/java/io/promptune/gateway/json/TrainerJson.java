package io.promptune.gateway.json;

import static io.promptune.gateway.json.Protos.name;
import static io.promptune.gateway.json.Protos.str;
import static io.promptune.gateway.json.Protos.time;

import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
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

  public record JobJson(String id, JobSpecJson spec, String state, String reason, int step, float lastLoss,
      double bestMetric, int bestStep, String publishedVersionId, String submittedBy, String worker,
      String createTime, String startTime, String endTime, int attempts) {

    public static JobJson of(Job j) {
      return new JobJson(j.getId(), j.hasSpec() ? JobSpecJson.of(j.getSpec()) : null, name(j.getState()),
          str(j.getReason()), j.getStep(), j.getLastLoss(), j.getBestMetric(), j.getBestStep(),
          str(j.getPublishedVersionId()), str(j.getSubmittedBy()), str(j.getWorker()), time(j.getCreateTime()),
          time(j.getStartTime()), time(j.getEndTime()), j.getAttempts());
    }
  }

  /** Body of POST /v1/jobs/{id}/cancel. */
  public record CancelJob(String reason) {}

  /**
   * One progress event, flattened: {@code type} says which of the other fields are set (step: step, loss,
   * learning_rate, grad_norm, examples_per_second; eval: step, metric, value, best, loss; state: state, reason,
   * worker; checkpoint: step; published: version_id, prompt_name, version_number).
   */
  public record JobEventJson(String jobId, long sequence, String time, String type, Integer step, Float loss,
      Float learningRate, Float gradNorm, Float examplesPerSecond, String metric, Double value, Boolean best,
      String state, String reason, String worker, String versionId, String promptName, Integer versionNumber) {

    public static JobEventJson of(JobEvent e) {
      String t = Protos.time(e.getTime());
      return switch (e.getKindCase()) {
        case STEP -> new JobEventJson(e.getJobId(), e.getSequence(), t, "step", e.getStep().getStep(),
            e.getStep().getLoss(), e.getStep().getLearningRate(), e.getStep().getGradNorm(),
            e.getStep().getExamplesPerSecond(), null, null, null, null, null, null, null, null, null);
        case EVAL -> new JobEventJson(e.getJobId(), e.getSequence(), t, "eval", e.getEval().getStep(),
            e.getEval().getLoss(), null, null, null, e.getEval().getMetric(), e.getEval().getValue(),
            e.getEval().getBest(), null, null, null, null, null, null);
        case STATE -> new JobEventJson(e.getJobId(), e.getSequence(), t, "state", null, null, null, null, null,
            null, null, null, name(e.getState().getState()), str(e.getState().getReason()),
            str(e.getState().getWorker()), null, null, null);
        case CHECKPOINT -> new JobEventJson(e.getJobId(), e.getSequence(), t, "checkpoint",
            e.getCheckpoint().getStep(), null, null, null, null, null, null, null, null, null, null, null, null,
            null);
        case PUBLISHED -> new JobEventJson(e.getJobId(), e.getSequence(), t, "published", null, null, null, null,
            null, null, null, null, null, null, null, e.getPublished().getVersionId(),
            e.getPublished().getPromptName(), e.getPublished().getVersionNumber());
        default -> new JobEventJson(e.getJobId(), e.getSequence(), t, "unknown", null, null, null, null, null,
            null, null, null, null, null, null, null, null, null);
      };
    }
  }
}
