package io.promptune.runtime.service;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fair use of the shared runtime: at most {@code limit} requests in flight (queued or running) per principal, so
 * one team's burst cannot fill the batcher and starve the others. Principals are the callers the requests are for
 * (an end user forwarded by the gateway, a job's submitter forwarded by the trainer, or a key's own name).
 */
public final class InFlightLimits {

  private final int limit;
  private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  public InFlightLimits(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("the in-flight limit per principal must be at least 1, got " + limit);
    }
    this.limit = limit;
  }

  public int limit() {
    return limit;
  }

  /** Takes a slot for {@code principal}; false when it already has {@code limit} requests in flight. */
  public boolean tryAcquire(String principal) {
    AtomicInteger n = inFlight.computeIfAbsent(principal, k -> new AtomicInteger());
    while (true) {
      int now = n.get();
      if (now >= limit) {
        return false;
      }
      if (n.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  public void release(String principal) {
    // Entries stay (one small counter per principal ever seen); removing them races with tryAcquire.
    inFlight.get(principal).decrementAndGet();
  }

  /** Requests in flight for {@code principal} now. */
  public int inFlight(String principal) {
    AtomicInteger n = inFlight.get(principal);
    return n == null ? 0 : n.get();
  }
}
