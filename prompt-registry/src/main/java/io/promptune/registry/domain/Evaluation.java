package io.promptune.registry.domain;

import java.time.Instant;
import java.util.UUID;

/** One append-only evaluation result of a version. */
public record Evaluation(long id, UUID versionId, String promptName, int versionNumber, String datasetId,
    String split, String metric, double value, long examples, String jobId, String createdBy, Instant createdAt) {}
