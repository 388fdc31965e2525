package io.promptune.trainer.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Everything under {@code promptune.trainer.*} (application.properties documents each key). */
@ConfigMapping(prefix = "promptune.trainer")
public interface TrainerConfig {

  Worker worker();

  /** How long a claim lasts without a heartbeat; an expired lease makes a RUNNING job claimable again. */
  @WithDefault("30s")
  Duration leaseDuration();

  /** How often a running job renews its lease in the background (besides once per step). */
  @WithDefault("10s")
  Duration heartbeatInterval();

  /** A job whose workers died this many times is failed instead of being claimed again. */
  @WithDefault("5")
  int maxAttempts();

  /** Newest checkpoints kept per job. */
  @WithDefault("2")
  int checkpointsKept();

  Retry retry();

  /** Deadline of one call to the runtime or registry. */
  @WithDefault("300s")
  Duration rpcDeadline();

  /** Examples per runtime request; 0 takes the runtime's max_batch_examples. Larger batches are accumulated. */
  @WithDefault("0")
  int maxExamplesPerRequest();

  Eval eval();

  Dataset dataset();

  Watch watch();

  interface Worker {
    /** Whether this process claims and runs jobs (the API works either way). */
    @WithDefault("true")
    boolean enabled();

    /** Name recorded on the jobs it holds; default host-pid-random. */
    Optional<String> id();

    /** Jobs run at the same time by this process. */
    @WithDefault("1")
    int concurrency();

    @WithDefault("1s")
    Duration pollInterval();

    /** How long shutdown waits for running jobs to reach a step boundary and release their leases. */
    @WithDefault("20s")
    Duration shutdownGrace();
  }

  interface Retry {
    @WithDefault("250ms")
    Duration initialBackoff();

    @WithDefault("10s")
    Duration maxBackoff();

    /** Give up (failing the job with UNAVAILABLE_DEPENDENCY) after retrying one call this long. */
    @WithDefault("10m")
    Duration maxElapsed();
  }

  interface Eval {
    /** Also compute the validation loss (a forward-only pass) at each evaluation. */
    @WithDefault("true")
    boolean computeLoss();
  }

  interface Dataset {
    @WithDefault("67108864")
    long maxBytes();

    @WithDefault("1000000")
    int maxRecords();

    @WithDefault("1048576")
    int maxChunkBytes();
  }

  interface Watch {
    /** How often WatchJob looks for new events (they may come from another trainer process). */
    @WithDefault("200ms")
    Duration pollInterval();
  }
}
