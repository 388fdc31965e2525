package io.promptune.registry.domain;

import io.promptune.api.v1.AuditAction;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Replays the audit events of one (prompt, environment) as a stack: a promotion pushes its target, a rollback
 * pops. The top is what the alias holds; rolling back goes to the entry below it. So v1, v2, v3 promoted and two
 * rollbacks give v2 then v1 (a rollback is not undone by the next one).
 */
public final class AliasHistory {

  private AliasHistory() {}

  /** The version a rollback returns to, or empty when there is none. Events must be oldest first. */
  public static Optional<UUID> rollbackTarget(List<AuditEvent> events) {
    Deque<UUID> stack = new ArrayDeque<>();
    for (AuditEvent e : events) {
      if (e.action() == AuditAction.PROMOTE) {
        stack.push(e.toVersionId());
      } else if (e.action() == AuditAction.ROLLBACK && !stack.isEmpty()) {
        stack.pop();
      }
    }
    if (stack.size() < 2) {
      return Optional.empty();
    }
    stack.pop();
    return Optional.of(stack.peek());
  }
}
