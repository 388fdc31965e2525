package io.promptune.registry.domain;

import io.promptune.api.v1.AuditAction;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One row of the append-only audit log. Ids increase in commit order. {@code gateChecks}: the gates a promotion
 * checked (a forced one past failing gates keeps them with {@code passed = false}); {@code gate}: the gate a
 * SET/DELETE_PROMOTION_GATE event concerns, else null.
 */
public record AuditEvent(long id, AuditAction action, String actor, Instant time, String promptName,
    String environment, UUID fromVersionId, UUID toVersionId, String reason, boolean forced,
    List<GateCheck> gateChecks, Gate gate) {

  public AuditEvent {
    gateChecks = gateChecks == null ? List.of() : List.copyOf(gateChecks);
  }

  /** An event to append; the database assigns id and time. */
  public static AuditEvent of(AuditAction action, String actor, String promptName, String environment, UUID from,
      UUID to, String reason, boolean forced) {
    return new AuditEvent(0, action, actor, null, promptName, environment, from, to, reason, forced, List.of(),
        null);
  }

  public AuditEvent withGateChecks(List<GateCheck> checks) {
    return new AuditEvent(id, action, actor, time, promptName, environment, fromVersionId, toVersionId, reason,
        forced, checks, gate);
  }

  public AuditEvent withGate(Gate g) {
    return new AuditEvent(id, action, actor, time, promptName, environment, fromVersionId, toVersionId, reason,
        forced, gateChecks, g);
  }
}
