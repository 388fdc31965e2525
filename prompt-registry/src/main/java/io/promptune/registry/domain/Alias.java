package io.promptune.registry.domain;

import java.time.Instant;
import java.util.UUID;

/** What (prompt, environment) points at now. */
public record Alias(String promptName, String environment, UUID versionId, int versionNumber, Instant updatedAt,
    String updatedBy) {}
