package io.promptune.gateway;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Everything under {@code promptune.gateway.*} (application.properties documents each key). */
@ConfigMapping(prefix = "promptune.gateway")
public interface GatewayConfig {

  /** Bare prompt names in inference requests resolve to this environment's alias. */
  @WithDefault("prod")
  String defaultEnvironment();

  Limits limits();

  /** How often an idle job event stream sends a comment, so proxies and clients see it is alive. */
  @WithDefault("15s")
  Duration sseKeepAlive();

  Deadlines deadlines();

  /** GET /v1/system: where the headline numbers are read. */
  SystemPage system();

  interface SystemPage {
    /** Every runtime replica's /q/metrics (their tokens and batches add up). */
    java.util.List<String> runtimeMetrics();

    /** The trainers' /q/metrics; the first that answers is read (they report the same database). */
    java.util.List<String> trainerMetrics();

    /** Per scrape. */
    @WithDefault("2s")
    Duration scrapeTimeout();
  }

  interface Limits {
    /** Largest JSON request body. */
    @WithDefault("2M")
    MemorySize maxJsonBody();

    /** Largest dataset upload (all splits together). */
    @WithDefault("64M")
    MemorySize maxUpload();

    /** Most inputs in one generate or score request. */
    @WithDefault("256")
    int maxInferenceInputs();

    /** Most candidates per input in a score request. */
    @WithDefault("64")
    int maxCandidates();

    /** Largest page a list call may ask for. */
    @WithDefault("1000")
    int maxPageSize();
  }

  interface Deadlines {
    /** Reads and small writes. */
    @WithDefault("30s")
    Duration call();

    /** Generate and score. */
    @WithDefault("300s")
    Duration inference();

    /** Dataset uploads. */
    @WithDefault("600s")
    Duration upload();

    /** Backend health probes. */
    @WithDefault("2s")
    Duration health();
  }
}
