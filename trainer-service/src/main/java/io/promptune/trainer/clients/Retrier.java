package io.promptune.trainer.clients;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Retries calls that failed with a transient status (UNAVAILABLE, DEADLINE_EXCEEDED) with exponential backoff,
 * so a runtime or registry restart does not fail a job. Other failures pass through at once. Gives up after
 * {@code maxElapsed}, and stops early when {@code abort} says the job no longer wants the answer.
 */
public final class Retrier {

  private static final Logger LOG = Logger.getLogger(Retrier.class);

  /** The call was abandoned because the job is stopping (cancelled, lease lost, shutdown). */
  public static final class Aborted extends RuntimeException {
    public Aborted(String message) {
      super(message);
    }
  }

  /** Still failing after retrying for the whole allowed time. */
  public static final class GaveUp extends RuntimeException {
    public GaveUp(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  private final Duration initial;
  private final Duration max;
  private final Duration maxElapsed;
  private final BooleanSupplier abort;
  private final Sleeper sleeper;

  public Retrier(Duration initial, Duration max, Duration maxElapsed, BooleanSupplier abort, Sleeper sleeper) {
    this.initial = initial;
    this.max = max;
    this.maxElapsed = maxElapsed;
    this.abort = abort;
    this.sleeper = sleeper;
  }

  public Retrier(Duration initial, Duration max, Duration maxElapsed, BooleanSupplier abort) {
    this(initial, max, maxElapsed, abort, Thread::sleep);
  }

  public static boolean isTransient(Throwable t) {
    if (t instanceof StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
    }
    return false;
  }

  public <T> T call(String what, Supplier<T> call) {
    long start = System.nanoTime();
    long backoff = initial.toMillis();
    int attempt = 0;
    while (true) {
      if (abort.getAsBoolean()) {
        throw new Aborted(what + " abandoned: the job is stopping");
      }
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        if (!isTransient(e)) {
          throw e;
        }
        attempt++;
        long elapsed = (System.nanoTime() - start) / 1_000_000;
        if (elapsed + backoff > maxElapsed.toMillis()) {
          throw new GaveUp(what + " still failing after " + attempt + " attempts over " + elapsed + " ms: "
              + e.getStatus(), e);
        }
        io.promptune.trainer.observability.TrainerMetrics.retry(
            io.promptune.trainer.observability.TrainerMetrics.target(what), e.getStatus().getCode().name());
        LOG.warnf("%s failed (%s), retry %d in %d ms", what, e.getStatus().getCode(), attempt, backoff);
        try {
          sleeper.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new Aborted(what + " abandoned: interrupted");
        }
        backoff = Math.min(max.toMillis(), backoff * 2);
      }
    }
  }
}
