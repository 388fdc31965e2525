package io.promptune.registry.domain;

import java.time.Instant;

/** A named task prompt; its trained matrices are its versions. */
public record Prompt(long id, String name, String task, String description, String owner, Instant createdAt,
    int latestVersion) {}
