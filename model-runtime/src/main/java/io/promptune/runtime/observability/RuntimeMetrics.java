package io.promptune.runtime.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.promptune.runtime.batching.BatchObserver;
import io.promptune.runtime.batching.BatchStats;
import io.promptune.runtime.engine.ModelSpec;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The runtime's Prometheus metrics ({@code promptune_runtime_*} at /q/metrics). Labels are low-cardinality only:
 * rpc, gRPC status code, op (forward_backward, forward, score, generate), token kind, principal class, dtype.
 *
 * <ul>
 *   <li>{@code promptune_runtime_rpc_seconds{rpc}} histogram, {@code promptune_runtime_rpc_calls_total{rpc,code}}</li>
 *   <li>{@code promptune_runtime_batch_examples{op}} and {@code promptune_runtime_batch_callers{op}} histograms per
 *       executed engine call: callers &gt; 1 is batching across callers at work</li>
 *   <li>{@code promptune_runtime_request_prompts{rpc,gradients}} distinct prompts per request (ensemble
 *       members); gradients = false for Score, Generate and forward-only ForwardBackward</li>
 *   <li>{@code promptune_runtime_batch_queue_wait_seconds{op}} per caller, submit to engine start</li>
 *   <li>{@code promptune_runtime_tokens_total{op,kind}} kind = prompt | input | target | generated</li>
 *   <li>{@code promptune_runtime_flops_total{op}} matmul FLOPs executed; with {@code promptune_runtime_peak_flops}
 *       (configured) MFU = rate(flops) / peak</li>
 *   <li>{@code promptune_runtime_model_weights_bytes{dtype}}, {@code promptune_runtime_inflight_requests{principal_class}},
 *       {@code promptune_runtime_draining}</li>
 * </ul>
 */
@ApplicationScoped
public class RuntimeMetrics implements BatchObserver {

  private static final Logger LOG = Logger.getLogger(RuntimeMetrics.class);
  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  private static final double[] PROMPT_BUCKETS = {1, 2, 3, 4, 5, 8, 16, 32, 64};
  private static final double[] CALLER_BUCKETS = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64};

  @Inject
  MeterRegistry registry;

  @ConfigProperty(name = "promptune.metrics.peak-flops", defaultValue = "0")
  double peakFlops;

  private final ConcurrentMap<String, AtomicInteger> inflight = new ConcurrentHashMap<>();
  private final AtomicLong weightsBytes = new AtomicLong();
  private final AtomicInteger draining = new AtomicInteger();
  private volatile String dtype;

  @PostConstruct
  void init() {
    Gauge.builder("promptune.runtime.peak.flops", () -> peakFlops)
        .description("Configured peak FLOP/s of the accelerator (promptune.metrics.peak-flops); 0 = unknown")
        .register(registry);
    Gauge.builder("promptune.runtime.draining", draining, AtomicInteger::get)
        .description("1 while the runtime drains for shutdown and refuses new calls").register(registry);
    for (String c : new String[] {"service", "viewer", "trainer", "operator", "admin"}) {
      inflight(c); // present (at 0) from the start, so dashboards and alerts see the series
    }
  }

  // ------------------------------------------------------------------------------------------------------- RPCs

  /** One finished RPC. */
  public void rpc(String rpc, String code, long nanos) {
    Timer.builder("promptune.runtime.rpc").description("ModelRuntime RPC latency").tag("rpc", rpc)
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(5)).register(registry).record(nanos, TimeUnit.NANOSECONDS);
    Counter.builder("promptune.runtime.rpc.calls").description("ModelRuntime RPCs by outcome (gRPC status code)")
        .tag("rpc", rpc).tag("code", code).register(registry).increment();
  }

  /**
   * Distinct prompts in one successful request ({@code promptune_runtime_request_prompts{rpc}}): the runtime-side
   * evidence that an ensemble training step sends all its members in one ForwardBackward.
   */
  public void requestPrompts(String rpc, boolean gradients, int prompts) {
    DistributionSummary.builder("promptune.runtime.request.prompts")
        .description("Distinct prompts carried by one successful ForwardBackward, Score or Generate request")
        .tag("rpc", rpc).tag("gradients", Boolean.toString(gradients)).serviceLevelObjectives(PROMPT_BUCKETS).register(registry).record(prompts);
  }

  /** The in-flight counter of a principal class (callers of that class whose RPC has not finished). */
  public AtomicInteger inflight(String principalClass) {
    return inflight.computeIfAbsent(principalClass, c -> {
      AtomicInteger n = new AtomicInteger();
      Gauge.builder("promptune.runtime.inflight.requests", n, AtomicInteger::get)
          .description("ModelRuntime RPCs in flight per principal class").tag("principal_class", c)
          .register(registry);
      return n;
    });
  }

  public void draining(boolean on) {
    draining.set(on ? 1 : 0);
  }

  // ---------------------------------------------------------------------------------------------------- batches

  @Override
  public void onBatch(BatchStats s) {
    try {
      DistributionSummary.builder("promptune.runtime.batch.examples")
          .description("Rows (examples, candidates, inputs) per executed engine call").tag("op", s.op())
          .serviceLevelObjectives(BATCH_BUCKETS).register(registry).record(s.rows());
      DistributionSummary.builder("promptune.runtime.batch.callers")
          .description("Callers' requests merged into one executed engine call").tag("op", s.op())
          .serviceLevelObjectives(CALLER_BUCKETS).register(registry).record(s.callers());
      Timer wait = Timer.builder("promptune.runtime.batch.queue.wait")
          .description("Time a request waited before its engine call started").tag("op", s.op())
          .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
          .maximumExpectedValue(Duration.ofMinutes(1)).register(registry);
      for (long w : s.queueWaitNanos()) {
        wait.record(Math.max(0, w), TimeUnit.NANOSECONDS);
      }
      tokens(s.op(), "prompt", s.promptTokens());
      tokens(s.op(), "input", s.inputTokens());
      tokens(s.op(), "target", s.targetTokens());
      tokens(s.op(), "generated", s.generatedTokens());
      Counter.builder("promptune.runtime.flops").description("Matmul FLOPs executed by the engine")
          .tag("op", s.op()).register(registry).increment(s.flops());
    } catch (RuntimeException e) {
      LOG.debugf("recording batch metrics failed: %s", e);
    }
  }

  private void tokens(String op, String kind, long n) {
    Counter.builder("promptune.runtime.tokens").description("Tokens processed by the engine, by kind")
        .tag("op", op).tag("kind", kind).register(registry).increment(n);
  }

  // ------------------------------------------------------------------------------------------------------ model

  /** The model is loaded: publish the bytes its weights take in {@code dtype}. */
  public void modelLoaded(ModelSpec spec, String dtype) {
    weightsBytes.set(weightsBytes(spec, dtype));
    if (this.dtype == null) {
      this.dtype = dtype;
      Gauge.builder("promptune.runtime.model.weights.bytes", weightsBytes, AtomicLong::get)
          .description("Bytes of the frozen model weights as held by the engine").tag("dtype", dtype)
          .register(registry);
    }
  }

  /**
   * Parameters of a T5 checkpoint with this config (embedding, attention, FFN, norms, relative bias in block 0 of
   * each stack, a separate LM head unless tied) times the bytes per element of {@code dtype}.
   */
  public static long weightsBytes(ModelSpec s, String dtype) {
    long d = s.dModel();
    long inner = (long) s.numHeads() * s.dKv();
    long ffn = (s.gatedGelu() ? 3L : 2L) * d * s.dFf();
    long attn = 4L * d * inner;
    long bias = (long) s.relativeAttentionNumBuckets() * s.numHeads();
    long encoder = s.numLayers() * (attn + ffn + 2 * d) + bias + d;
    long decoder = s.numDecoderLayers() * (2 * attn + ffn + 3 * d) + bias + d;
    long embedding = (long) s.vocabSize() * d;
    long params = embedding + encoder + decoder + (s.tiedHead() ? 0 : embedding);
    int bytes = switch (dtype.toLowerCase(java.util.Locale.ROOT)) {
      case "float16", "bfloat16", "fp16", "bf16" -> 2;
      case "float64" -> 8;
      default -> 4;
    };
    return params * bytes;
  }
}
