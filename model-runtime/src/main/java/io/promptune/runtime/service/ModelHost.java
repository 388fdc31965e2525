package io.promptune.runtime.service;

import io.promptune.runtime.batching.BatchingEngine;
import io.promptune.runtime.engine.DjlT5Engine;
import io.promptune.runtime.engine.EngineOptions;
import io.promptune.runtime.engine.T5Engine;
import io.promptune.runtime.source.ModelLocator;
import io.promptune.runtime.source.ModelSourceException;
import io.promptune.runtime.source.ModelSpecifier;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Loads the model once at startup, on a background thread so that health endpoints answer meanwhile (readiness is
 * DOWN until it is loaded), and hands the {@link RuntimeService} to the RPCs. If loading fails the error is logged
 * and, unless {@code promptune.runtime.exit-on-load-failure=false}, the process exits: a runtime without a model
 * can never become ready.
 */
@ApplicationScoped
public class ModelHost {

  private static final Logger LOG = Logger.getLogger(ModelHost.class);

  public enum State { LOADING, READY, FAILED }

  @Inject
  RuntimeConfig config;

  @Inject
  RegistryLookup registry;

  @Inject
  io.promptune.runtime.observability.RuntimeMetrics metrics;

  private final CountDownLatch done = new CountDownLatch(1);
  private volatile State state = State.LOADING;
  private volatile String failure;
  private volatile RuntimeService service;

  void onStart(@Observes StartupEvent ev) {
    Thread.ofPlatform().name("model-loader").daemon().start(this::load);
  }

  void onStop(@Observes ShutdownEvent ev) {
    RuntimeService s = service;
    if (s != null) {
      service = null;
      s.close();
    }
  }

  private void load() {
    long t0 = System.nanoTime();
    try {
      ModelLocator locator = new ModelLocator(config.cacheDir().orElse(ModelLocator.defaultCacheRoot()),
          config.hub().endpoint(), config.offline(), config.hub().token().orElse(null));
      ModelLocator.LocatedModel located = locator.locate(config.model());
      EngineOptions.Precision weightsDtype = EngineOptions.Precision.parse(config.weightsDtype());
      if (weightsDtype == EngineOptions.Precision.FLOAT64) {
        throw new IllegalArgumentException("promptune.runtime.weights-dtype '" + config.weightsDtype()
            + "' is not supported: use float32, bfloat16 or float16");
      }
      EngineOptions options = EngineOptions.defaults().withIntraOpThreads(config.threads())
          .withDevice(config.device()).withPrecision(weightsDtype).withTokenizerPath(config.tokenizer().orElse(null))
          .withModelId(located.specifier() instanceof ModelSpecifier.HubModel ? located.modelId() : null);
      T5Engine engine = DjlT5Engine.load(located.dir(), options);
      Limits limits = Limits.from(config);
      PromptResolver prompts = new PromptResolver(registry, engine.spec().dModel(), engine.fingerprint(),
          engine.modelId(), limits, config.registry().cacheBytes());
      BatchingEngine batching = new BatchingEngine(engine, config.batching().enabled(), config.batching().window(),
          config.batching().maxTokens());
      batching.observe(metrics);
      metrics.modelLoaded(engine.spec(), weightsDtype.label());
      service = new RuntimeService(batching, prompts, limits, deviceName(config.device()), weightsDtype.label());
      state = State.READY;
      LOG.infof("model %s ready in %d ms from %s: fingerprint %s, tokenizer %s, d_model %d, %d+%d layers, vocab %d",
          engine.modelId(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), located.dir(),
          engine.fingerprint(), engine.tokenizer().fingerprint(), engine.spec().dModel(), engine.spec().numLayers(),
          engine.spec().numDecoderLayers(), engine.spec().vocabSize());
    } catch (Throwable e) {
      failure = "model '" + config.model() + "' failed to load: "
          + (e instanceof ModelSourceException || e instanceof java.io.IOException ? e.getMessage() : e.toString());
      state = State.FAILED;
      LOG.error(failure, e);
      if (config.exitOnLoadFailure()) {
        Quarkus.asyncExit(1);
      }
    } finally {
      done.countDown();
    }
  }

  public State state() {
    return state;
  }

  /** The failure message when {@link #state()} is FAILED. */
  public String failure() {
    return failure;
  }

  /** Waits until loading ended (ready or failed); true when ready. */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && state == State.READY;
  }

  /** The loaded model's service, or UNAVAILABLE while it is loading or after it failed to load. */
  public RuntimeService service() {
    RuntimeService s = service;
    if (s != null) {
      return s;
    }
    if (state == State.FAILED) {
      throw Errors.unavailable(failure);
    }
    throw Errors.unavailable("model '" + config.model()
        + "' is still loading; retry when the runtime is ready (gRPC health SERVING, /q/health/ready UP)");
  }

  /** ModelInfo.device: "cpu" or "gpu(N)". */
  static String deviceName(String device) {
    String d = device.strip().toLowerCase(java.util.Locale.ROOT);
    if (d.startsWith("gpu") || d.startsWith("cuda")) {
      String n = d.replaceAll("[^0-9]", "");
      return "gpu(" + (n.isEmpty() ? "0" : n) + ")";
    }
    return "cpu";
  }
}
