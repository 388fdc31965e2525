package io.promptune.trainer.testing;

import io.promptune.trainer.queue.LeaseClock;
import jakarta.enterprise.inject.Vetoed;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lease time that moves only when a test says so: install it with {@code QuarkusMock.installMockForType(clock,
 * LeaseClock.class)} and {@link #advance} it past a lease instead of sleeping until the lease runs out. Vetoed so
 * that it is not a second {@link LeaseClock} bean.
 */
@Vetoed
public final class ManualLeaseClock extends LeaseClock {

  private final AtomicLong offsetMillis = new AtomicLong();

  public void advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("lease time only moves forward");
    }
    offsetMillis.addAndGet(by.toMillis());
  }

  @Override
  public Duration offset() {
    return Duration.ofMillis(offsetMillis.get());
  }
}
