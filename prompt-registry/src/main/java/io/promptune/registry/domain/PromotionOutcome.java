package io.promptune.registry.domain;

/** The alias after a promotion or rollback, and the audit event that recorded it. */
public record PromotionOutcome(Alias alias, AuditEvent event) {}
