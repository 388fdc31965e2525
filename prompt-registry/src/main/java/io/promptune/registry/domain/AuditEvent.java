package io.promptune.registry.domain;

import io.promptune.api.v1.AuditAction;
import java.time.Instant;
import java.util.UUID;

/** One row of the append-only audit log. Ids increase in commit order. */
public record AuditEvent(long id, AuditAction action, String actor, Instant time, String promptName,
    String environment, UUID fromVersionId, UUID toVersionId, String reason, boolean forced) {

  /** An event to append; the database assigns id and time. */
  public static AuditEvent of(AuditAction action, String actor, String promptName, String environment, UUID from,
      UUID to, String reason, boolean forced) {
    return new AuditEvent(0, action, actor, null, promptName, environment, from, to, reason, forced);
  }
}
