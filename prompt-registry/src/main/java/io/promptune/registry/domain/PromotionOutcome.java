package io.promptune.registry.domain;

import java.util.Optional;

/**
 * The alias after a promotion or rollback, and the audit event that this call appended. A promotion to the version
 * the environment already holds changes nothing: {@code changed} is false and there is no event (the event that
 * put the version there was some earlier caller's).
 */
public record PromotionOutcome(Alias alias, Optional<AuditEvent> event) {

  public static PromotionOutcome moved(Alias alias, AuditEvent event) {
    return new PromotionOutcome(alias, Optional.of(event));
  }

  public static PromotionOutcome unchanged(Alias alias) {
    return new PromotionOutcome(alias, Optional.empty());
  }

  public boolean changed() {
    return event.isPresent();
  }
}
