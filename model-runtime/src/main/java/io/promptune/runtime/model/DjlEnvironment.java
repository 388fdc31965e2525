package io.promptune.runtime.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One place that prepares DJL before anything of it loads: offline (natives come from the jars on the classpath,
 * nothing is downloaded), no telemetry, and PyTorch's thread pools.
 *
 * <p>Threading on a small CPU box: intra-op threads = available cores (one big matmul uses them all), inter-op
 * threads = 1 (our graphs are sequential; a second pool only competes for the same cores). Values the user set as
 * system properties ({@code ai.djl.pytorch.num_threads}, {@code ai.djl.pytorch.num_interop_threads}) win.
 * OpenMP's {@code OMP_WAIT_POLICY=PASSIVE} must be set in the environment by the launcher (and surefire), because
 * libgomp reads it once at load; it keeps idle OpenMP workers from spinning against the JVM's own threads.
 */
public final class DjlEnvironment {

  public static final String ENGINE_NAME = "PyTorch";
  public static final String NUM_THREADS = "ai.djl.pytorch.num_threads";
  public static final String NUM_INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";

  private static volatile Engine engine;

  private DjlEnvironment() {}

  /** Offline mode and no telemetry; safe to call often. Must run before any DJL class reads them. */
  public static synchronized void offline() {
    if (System.getenv("DJL_OFFLINE") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    System.setProperty("OPT_OUT_TRACKING", "true");
    if (System.getProperty("ai.djl.default_engine") == null && System.getenv("DJL_DEFAULT_ENGINE") == null) {
      System.setProperty("ai.djl.default_engine", ENGINE_NAME);
    }
  }

  /**
   * Returns the PyTorch engine, loading it on first use with the given intra-op thread count (0 = available
   * cores) and {@code interopThreads} (0 = 1) unless the user set the system properties. If the engine was
   * already loaded, an explicit intra-op count is still applied (PyTorch allows changing it; the inter-op pool
   * can only be sized once).
   */
  public static synchronized Engine pytorch(int intraOpThreads, int interopThreads) {
    offline();
    if (engine == null) {
      int cores = Runtime.getRuntime().availableProcessors();
      if (System.getProperty(NUM_THREADS) == null) {
        System.setProperty(NUM_THREADS, Integer.toString(intraOpThreads > 0 ? intraOpThreads : cores));
      }
      if (System.getProperty(NUM_INTEROP_THREADS) == null) {
        System.setProperty(NUM_INTEROP_THREADS, Integer.toString(interopThreads > 0 ? interopThreads : 1));
      }
      engine = Engine.getEngine(ENGINE_NAME);
    } else if (intraOpThreads > 0 && JniUtils.getNumThreads() != intraOpThreads) {
      JniUtils.setNumThreads(intraOpThreads);
    }
    return engine;
  }

  /** PyTorch's current intra-op thread count. */
  public static int intraOpThreads() {
    return JniUtils.getNumThreads();
  }

  /** PyTorch's current inter-op thread count. */
  public static int interOpThreads() {
    return JniUtils.getNumInteropThreads();
  }
}
