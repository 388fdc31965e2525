package io.promptune.trainer.evaluation;

import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.EvaluationSpec;
import java.util.UUID;

/**
 * One evaluation job's own state (trainer.evaluations): its frozen spec, the version it resolved to when it first
 * started, how far it got, and its outcome once recorded.
 *
 * @param versionId null until the job has started once
 * @param total     null until the job has started once
 * @param outcome   null until recorded with the registry
 */
public record EvaluationRecord(UUID jobId, EvaluationSpec spec, String versionId, Long total, Progress progress,
    EvaluationOutcome outcome) {}
