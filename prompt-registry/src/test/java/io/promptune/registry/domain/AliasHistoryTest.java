package io.promptune.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.promptune.api.v1.AuditAction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AliasHistoryTest {

  private static final UUID V1 = UUID.randomUUID();
  private static final UUID V2 = UUID.randomUUID();
  private static final UUID V3 = UUID.randomUUID();

  private final List<AuditEvent> log = new ArrayList<>();

  private void promote(UUID to) {
    log.add(AuditEvent.of(AuditAction.PROMOTE, "a", "p", "prod", null, to, "", false));
  }

  private void rollback(UUID to) {
    log.add(AuditEvent.of(AuditAction.ROLLBACK, "a", "p", "prod", null, to, "", false));
  }

  @Test
  void rollsBackThroughHistoryLikeAStack() {
    assertEquals(Optional.empty(), AliasHistory.rollbackTarget(log));
    promote(V1);
    assertEquals(Optional.empty(), AliasHistory.rollbackTarget(log));
    promote(V2);
    promote(V3);
    assertEquals(Optional.of(V2), AliasHistory.rollbackTarget(log));
    rollback(V2);
    assertEquals(Optional.of(V1), AliasHistory.rollbackTarget(log));
    rollback(V1);
    assertEquals(Optional.empty(), AliasHistory.rollbackTarget(log));
    promote(V3);
    assertEquals(Optional.of(V1), AliasHistory.rollbackTarget(log));
  }

  @Test
  void aVersionPromotedTwiceIsTwoEntries() {
    promote(V1);
    promote(V2);
    promote(V1);
    assertEquals(Optional.of(V2), AliasHistory.rollbackTarget(log));
  }
}
