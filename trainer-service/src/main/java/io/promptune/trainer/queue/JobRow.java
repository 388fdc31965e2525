package io.promptune.trainer.queue;

import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.trainer.db.Times;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** One row of trainer.jobs. {@code attempts} doubles as the fencing token of the worker holding it. */
public record JobRow(UUID id, JobSpec spec, String datasetId, JobState state, String reason, String reasonCode,
    boolean cancelRequested, String cancelReason, int step, Float lastLoss, Double bestMetric, Integer bestStep,
    String publishedVersionId, String submittedBy, String worker, OffsetDateTime leaseUntil, int attempts,
    OffsetDateTime createTime, OffsetDateTime startTime, OffsetDateTime endTime, JobKind kind,
    List<String> publishedMemberVersionIds) {

  public boolean evaluation() {
    return kind == JobKind.JOB_KIND_EVALUATION;
  }

  public boolean terminal() {
    return state == JobState.SUCCEEDED || state == JobState.FAILED || state == JobState.CANCELLED;
  }

  public Job toProto() {
    Job.Builder b = Job.newBuilder()
        .setId(id.toString())
        .setKind(kind)
        .setState(state)
        .setReason(reason)
        .setStep(step)
        .setSubmittedBy(submittedBy)
        .setAttempts(attempts)
        .setCreateTime(Times.proto(createTime));
    if (!evaluation()) { // an evaluation job's EvaluationSpec is added by the service (trainer.evaluations)
      b.setSpec(spec);
    }
    if (lastLoss != null) {
      b.setLastLoss(lastLoss);
    }
    if (bestMetric != null) {
      b.setBestMetric(bestMetric);
    }
    if (bestStep != null) {
      b.setBestStep(bestStep);
    }
    if (publishedVersionId != null) {
      b.setPublishedVersionId(publishedVersionId);
    }
    b.addAllPublishedMemberVersionIds(publishedMemberVersionIds);
    if (worker != null && state == JobState.RUNNING) {
      b.setWorker(worker);
    }
    if (startTime != null) {
      b.setStartTime(Times.proto(startTime));
    }
    if (endTime != null) {
      b.setEndTime(Times.proto(endTime));
    }
    return b.build();
  }
}
