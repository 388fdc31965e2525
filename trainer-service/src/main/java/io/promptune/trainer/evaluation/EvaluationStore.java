package io.promptune.trainer.evaluation;

import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.JobEvent;
import java.util.Optional;
import java.util.UUID;

/**
 * Where an evaluation job keeps its state. Every write is fenced like the queue's: it happens only while the job is
 * RUNNING under {@code attempt}, and answers false when the caller no longer holds the job (it must then stop).
 */
public interface EvaluationStore {

  Optional<EvaluationRecord> find(UUID jobId);

  /** Pins the resolved version and the example count (first start only), with {@code event}. */
  boolean pin(UUID jobId, int attempt, String versionId, long total, int members, JobEvent event);

  /** Stores progress after a batch together with its EvaluationProgressEvent. */
  boolean saveProgress(UUID jobId, int attempt, Progress progress, JobEvent event);

  /** Stores the outcome recorded with the registry (before the job is marked SUCCEEDED). */
  boolean saveOutcome(UUID jobId, int attempt, EvaluationOutcome outcome);

  /** Any other event of the holder (e.g. "resuming at example k"). */
  boolean append(UUID jobId, int attempt, JobEvent event);
}
