package io.promptune.trainer.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The trainer's event metrics ({@code promptune_trainer_*}), recorded from the job loop, which is plain Java (no CDI):
 * they go to Micrometer's global registry, which Quarkus wires to the Prometheus registry behind /q/metrics (outside
 * Quarkus, e.g. in unit tests, nothing is recorded). Never a job id or prompt name as a label. The job-state gauges
 * read from the database are in {@link JobStateGauges}.
 */
public final class TrainerMetrics {

  private TrainerMetrics() {}

  private static MeterRegistry registry() {
    return Metrics.globalRegistry;
  }

  /**
   * Every series the dashboard and the alerts query, present at 0 from the start (a counter registered on first use
   * would be missing from the scrape until its first event, and a panel on it would read "no data").
   */
  public static void registerAtZero(MeterRegistry r) {
    Counter.builder("promptune.trainer.steps").description("Training steps executed").register(r);
    for (String phase : new String[] {"runtime", "optimizer"}) {
      Timer.builder("promptune.trainer.step").description("Time per training step, by phase").tag("phase", phase)
          .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
          .maximumExpectedValue(Duration.ofMinutes(10)).register(r);
    }
    for (String target : new String[] {"runtime", "registry"}) {
      for (String reason : new String[] {"UNAVAILABLE", "DEADLINE_EXCEEDED"}) {
        Counter.builder("promptune.trainer.retries")
            .description("Retried transient failures of calls to other services").tag("target", target)
            .tag("reason", reason).register(r);
      }
    }
    Counter.builder("promptune.trainer.lease.losses").description("Jobs this worker lost the lease of while running")
        .register(r);
    Counter.builder("promptune.trainer.resumes").description("Jobs resumed from a checkpoint").register(r);
    Counter.builder("promptune.trainer.checkpoints").description("Checkpoints written").register(r);
    Counter.builder("promptune.trainer.checkpoint.bytes").description("Bytes of checkpoints written")
        .register(r);
    Counter.builder("promptune.trainer.evaluation.examples").description("Examples evaluated by evaluation jobs")
        .register(r);
    for (String state : new String[] {"SUCCEEDED", "FAILED", "CANCELLED"}) {
      Counter.builder("promptune.trainer.jobs.finished").description("Jobs ended by this worker, by final state")
          .tag("state", state).register(r);
    }
  }

  /**
   * One optimisation step done: the runtime part (ForwardBackward calls) and the optimiser part. An ensemble job's
   * step (all members in one ForwardBackward, then each member's update) counts once.
   */
  public static void step(long runtimeNanos, long optimizerNanos) {
    Counter.builder("promptune.trainer.steps").description("Training steps executed").register(registry())
        .increment();
    phase("runtime").record(runtimeNanos, TimeUnit.NANOSECONDS);
    phase("optimizer").record(optimizerNanos, TimeUnit.NANOSECONDS);
  }

  private static Timer phase(String phase) {
    return Timer.builder("promptune.trainer.step").description("Time per training step, by phase").tag("phase", phase)
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofMinutes(10)).register(registry());
  }

  /** A transient failure of a call to {@code target} ("runtime", "registry") that is being retried. */
  public static void retry(String target, String reason) {
    Counter.builder("promptune.trainer.retries").description("Retried transient failures of calls to other services")
        .tag("target", target).tag("reason", reason).register(registry()).increment();
  }

  /** The target of a Retrier "what" such as "runtime ForwardBackward": its first word. */
  public static String target(String what) {
    String w = what == null ? "" : what.strip();
    int sp = w.indexOf(' ');
    String t = (sp > 0 ? w.substring(0, sp) : w).toLowerCase(Locale.ROOT);
    return t.equals("runtime") || t.equals("registry") ? t : "other";
  }

  public static void leaseLost() {
    Counter.builder("promptune.trainer.lease.losses").description("Jobs this worker lost the lease of while running")
        .register(registry()).increment();
  }

  public static void resumed() {
    Counter.builder("promptune.trainer.resumes").description("Jobs resumed from a checkpoint").register(registry())
        .increment();
  }

  public static void checkpointWritten(long bytes) {
    Counter.builder("promptune.trainer.checkpoints").description("Checkpoints written").register(registry())
        .increment();
    Counter.builder("promptune.trainer.checkpoint.bytes").description("Bytes of checkpoints written")
        .register(registry()).increment(bytes);
  }

  /** A job this worker ran ended: SUCCEEDED, FAILED or CANCELLED. */
  public static void jobFinished(String state) {
    Counter.builder("promptune.trainer.jobs.finished").description("Jobs ended by this worker, by final state")
        .tag("state", state).register(registry()).increment();
  }

  /** An evaluation job stored a batch of {@code n} evaluated examples. */
  public static void evaluatedExamples(int n) {
    Counter.builder("promptune.trainer.evaluation.examples").description("Examples evaluated by evaluation jobs")
        .register(registry()).increment(n);
  }
}
