package io.promptune.trainer.queue;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * The clock job leases are measured on: the database server's {@code now()}, which every trainer of a fleet shares
 * (their own clocks may disagree), shifted by {@link #offset()}. The offset is zero in production; it is the seam
 * that lets a test move lease time forward (replace this bean) instead of sleeping until a lease runs out.
 */
@ApplicationScoped
public class LeaseClock {

  /** How far the lease clock runs ahead of the database's {@code now()}. */
  public Duration offset() {
    return Duration.ZERO;
  }
}
