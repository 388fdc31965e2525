package io.promptune.runtime.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.promptune.api.Tensors;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TokenIds;
import io.promptune.api.v1.TrainingExample;
import io.promptune.runtime.batching.BatchingEngine;
import io.promptune.runtime.engine.DjlT5Engine;
import io.promptune.runtime.engine.EngineOptions;
import io.promptune.runtime.engine.Example;
import io.promptune.runtime.engine.GenerateQuery;
import io.promptune.runtime.engine.GenerationResult;
import io.promptune.runtime.engine.SoftPrompt;
import io.promptune.runtime.engine.TextTokenizer;
import io.promptune.runtime.load.T5Checkpoint;
import io.promptune.runtime.model.DjlEnvironment;
import io.promptune.runtime.service.Limits;
import io.promptune.runtime.service.PromptResolver;
import io.promptune.runtime.service.RuntimeService;
import io.promptune.runtime.source.ModelLocator;
import io.promptune.runtime.tokenizer.ByteTokenizer;
import io.promptune.runtime.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The runtime's throughput on a t5-small-shaped model with random weights ({@code generated:t5-small-random}):
 * a ForwardBackward step (batch 8, input 64, prompt 100, target 4 by default) in ms, tokens/s, matmul GFLOP/s and
 * their share of a float32 matmul peak measured in the same run through DJL; the same batch with 8 distinct prompts;
 * the step through the service in-process and over gRPC on loopback; Generate tokens/s.
 *
 * <p>Run with {@code model-runtime/bench.sh [--iters=7] [--warmup=2] [--profile=/tmp/trace.json] ...}.
 */
public final class RuntimeBenchmark {

  private final Map<String, String> args;
  private final PrintStream out;

  private RuntimeBenchmark(Map<String, String> args, PrintStream out) {
    this.args = args;
    this.out = out;
  }

  public static void main(String[] argv) throws Exception {
    run(argv, System.out);
    System.exit(0); // gRPC's and DJL's threads would otherwise keep the JVM alive
  }

  /** The benchmark with {@code --key=value} arguments, reporting on {@code out}: {@link #main} without the exit. */
  public static void run(String[] argv, PrintStream out) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String s : argv) {
      if (!s.startsWith("--")) {
        throw new IllegalArgumentException("arguments are --key=value, got " + s);
      }
      int eq = s.indexOf('=');
      a.put(eq < 0 ? s.substring(2) : s.substring(2, eq), eq < 0 ? "true" : s.substring(eq + 1));
    }
    new RuntimeBenchmark(a, out).run();
  }

  private int intArg(String key, int dflt) {
    return Integer.parseInt(args.getOrDefault(key, Integer.toString(dflt)));
  }

  private void run() throws Exception {
    String modelSpec = args.getOrDefault("model", "generated:t5-small-random");
    int batch = intArg("batch", 8);
    int input = intArg("input", 64);
    int promptLen = intArg("prompt", 100);
    int target = intArg("target", 4);
    int warmup = intArg("warmup", 2);
    int iters = intArg("iters", 7);
    int genTokens = intArg("gen-tokens", 32);
    int threads = intArg("threads", 0);
    Path cache = Path.of(args.getOrDefault("cache-dir", ModelLocator.defaultCacheRoot().toString()));

    out.println("== Promptune model-runtime benchmark ==");
    out.println("machine: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
        + " cores visible; JVM " + Runtime.version() + "; OMP_WAIT_POLICY=" + System.getenv("OMP_WAIT_POLICY"));
    ModelLocator.LocatedModel located = new ModelLocator(cache, URI.create("https://huggingface.co"),
        Boolean.parseBoolean(args.getOrDefault("offline", "false")), System.getenv("HF_TOKEN"))
        .locate(modelSpec);
    // the benchmark sends ids only: without --tokenizer a vocabulary with no tokenizer.json gets a byte tokenizer
    EngineOptions options = EngineOptions.defaults().withIntraOpThreads(threads);
    T5Checkpoint ckpt = T5Checkpoint.load(located.dir());
    TextTokenizer tokenizer = args.containsKey("tokenizer") || Files.exists(located.dir().resolve("tokenizer.json"))
        || ckpt.config().vocabSize() <= Tokenizers.MAX_BYTE_VOCAB
        ? Tokenizers.forCheckpoint(located.dir(), ckpt.config(), args.containsKey("tokenizer")
            ? Path.of(args.get("tokenizer")) : null)
        : new ByteTokenizer(Tokenizers.MAX_BYTE_VOCAB);
    try (DjlT5Engine engine = DjlT5Engine.fromCheckpoint(ckpt, tokenizer,
        options.withModelId(ckpt.config().modelIdHint()))) {
      var spec = engine.spec();
      out.printf("model: %s (d_model %d, %d+%d layers, %d heads, d_ff %d, vocab %d); PyTorch intra-op threads "
              + "%d, inter-op %d%n", engine.modelId(), spec.dModel(), spec.numLayers(), spec.numDecoderLayers(),
          spec.numHeads(), spec.dFf(), spec.vocabSize(), DjlEnvironment.intraOpThreads(),
          DjlEnvironment.interOpThreads());
      out.printf("shape: batch %d, input %d tokens, prompt %d rows, target %d tokens; warm-up %d, %d rounds%n",
          batch, input, promptLen, target, warmup, iters);

      SplittableRandom r = new SplittableRandom(7);
      List<SoftPrompt> prompts8 = new ArrayList<>();
      for (int p = 0; p < batch; p++) {
        prompts8.add(new SoftPrompt(promptLen, spec.dModel(), uniform(r, promptLen * spec.dModel())));
      }
      List<SoftPrompt> prompts1 = List.of(prompts8.get(0));
      List<Example> shared = new ArrayList<>();
      List<Example> distinct = new ArrayList<>();
      List<GenerateQuery> queries = new ArrayList<>();
      for (int b = 0; b < batch; b++) {
        int[] in = ids(r, input, spec.vocabSize());
        int[] tg = ids(r, target, spec.vocabSize());
        shared.add(new Example(in, tg, 0));
        distinct.add(new Example(in, tg, b));
        queries.add(new GenerateQuery(in, 0));
      }

      // the same step through the service: in-process (proto request → validation → batching → engine) and over
      // gRPC on loopback (grpc-java Netty, the transport Quarkus serves gRPC with)
      Limits limits = new Limits(4096, 1024, 4096, 1024, 1L << 30, 16);
      BatchingEngine batching = new BatchingEngine(engine, true, Duration.ofMillis(3), 1L << 30);
      RuntimeService service = new RuntimeService(batching, new PromptResolver((s, o) -> {
        throw new UnsupportedOperationException("no registry in the benchmark");
      }, spec.dModel(), engine.fingerprint(), engine.modelId(), limits, 0), limits, "cpu");
      ForwardBackwardRequest req = protoRequest(prompts1.get(0), shared);
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
          .maxInboundMessageSize(64 << 20).addService(new ModelRuntimeGrpc.ModelRuntimeImplBase() {
            @Override
            public void forwardBackward(ForwardBackwardRequest q, StreamObserver<ForwardBackwardResponse> out) {
              out.onNext(service.forwardBackward(q));
              out.onCompleted();
            }
          }).build().start();
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
          .maxInboundMessageSize(64 << 20).build();
      var stub = ModelRuntimeGrpc.newBlockingStub(ch);
      int[] generated = new int[1];

      // every case runs once per round, round-robin, so that background load hits all of them alike
      Map<String, Supplier<?>> cases = new LinkedHashMap<>();
      cases.put("matmul", () -> matmul2048(engine));
      cases.put("fb1", () -> engine.forwardBackward(prompts1, shared, null, true));
      cases.put("fb8", () -> engine.forwardBackward(prompts8, distinct, null, true));
      cases.put("fwd", () -> engine.forwardBackward(prompts1, shared, null, false));
      cases.put("service", () -> service.forwardBackward(req));
      cases.put("grpc", () -> stub.forwardBackward(req));
      cases.put("greedy", () -> {
        List<GenerationResult> out = engine.generate(prompts1, queries, genTokens, 1, 1f);
        generated[0] = out.stream().mapToInt(g -> g.tokenIds().length).sum();
        return out;
      });
      cases.put("beam4", () -> engine.generate(prompts1, queries, genTokens, 4, 1f));
      Map<String, double[]> t = time(cases, warmup, iters);
      int responseKiB = service.forwardBackward(req).getSerializedSize() >> 10;
      ch.shutdownNow();
      server.shutdownNow();
      batching.close();

      FlopCount flops = FlopCount.of(spec, batch, promptLen + input, target);
      int tokens = batch * (promptLen + input + target);
      double peak = 2.0 * 2048 * 2048 * 2048 / 1e9 / (best(t.get("matmul")) / 1e3);
      double peakMedian = 2.0 * 2048 * 2048 * 2048 / 1e9 / (median(t.get("matmul")) / 1e3);
      out.println();
      out.printf("matmul FLOPs per step (2mnk; forward + backward to the prompt, no weight gradients):%n");
      out.printf("  (per encoder layer 8·N·d·inner + 4·N·d·d_ff + 4·B·Le²·inner, N = B·Le; see FlopCount)%n");
      out.printf("  forward  %.2f GFLOP = encoder %.2f + decoder %.2f (incl. cross k/v %.2f) + LM head %.2f%n",
          flops.forward() / 1e9, flops.encoderForward() / 1e9, flops.decoderForward() / 1e9,
          spec.numDecoderLayers() * 4.0 * batch * (promptLen + input) * spec.dModel() * spec.numHeads() * spec.dKv()
              / 1e9, flops.headForward() / 1e9);
      out.printf("  backward %.2f GFLOP = encoder %.2f + decoder %.2f + LM head %.2f%n", flops.backward() / 1e9,
          flops.encoderBackward() / 1e9, flops.decoderBackward() / 1e9, flops.headBackward() / 1e9);
      out.printf("  total    %.2f GFLOP per step%n", flops.total() / 1e9);
      out.println();
      out.printf("%-44s %10s %10s %12s %10s%n", "case (ms: median / best of " + iters + ")", "median",
          "best", "GFLOP/s med", "% of peak");
      out.printf("%-44s %10.1f %10.1f %12.1f %10s%n", "fp32 matmul 2048x2048 (peak = best)",
          median(t.get("matmul")), best(t.get("matmul")), peakMedian, "");
      row("ForwardBackward, 1 prompt", t.get("fb1"), flops.total(), peak);
      row("ForwardBackward, " + batch + " distinct prompts", t.get("fb8"), flops.total(), peak);
      row("forward only (loss), 1 prompt", t.get("fwd"), flops.forward(), peak);
      row("ForwardBackward via service, in-process", t.get("service"), flops.total(), peak);
      row("ForwardBackward via service, gRPC loopback", t.get("grpc"), flops.total(), peak);
      out.println();
      out.printf("peak %.1f GFLOP/s; ForwardBackward step at best %.1f%% / median %.1f%% of it%n", peak,
          100 * flops.total() / 1e9 / (best(t.get("fb1")) / 1e3) / peak,
          100 * flops.total() / 1e9 / (median(t.get("fb1")) / 1e3) / peak);
      out.printf("tokens/s (batch x (prompt + input + target) = %d tokens per step): %.0f median, %.0f best%n",
          tokens, tokens / (median(t.get("fb1")) / 1e3), tokens / (best(t.get("fb1")) / 1e3));
      out.printf("%d distinct prompts / 1 prompt: %.3f (median), %.3f (best)%n", batch,
          median(t.get("fb8")) / median(t.get("fb1")), best(t.get("fb8")) / best(t.get("fb1")));
      out.printf("service in-process / engine: %.3f; gRPC / in-process: %.3f (median), %.3f (best); request"
              + " %d KiB, response %d KiB%n", median(t.get("service")) / median(t.get("fb1")),
          median(t.get("grpc")) / median(t.get("service")), best(t.get("grpc")) / best(t.get("service")),
          req.getSerializedSize() >> 10, responseKiB);
      out.printf("Generate greedy, %d inputs x up to %d new tokens: %.0f ms median, %d tokens, %.0f tokens/s;"
              + " beam 4: %.0f ms, %.0f tokens/s%n", queries.size(), genTokens, median(t.get("greedy")), generated[0],
          generated[0] / (median(t.get("greedy")) / 1e3), median(t.get("beam4")),
          batch * genTokens / (median(t.get("beam4")) / 1e3));

      if (args.containsKey("profile")) {
        profile(engine, prompts1, shared, Path.of(args.get("profile")));
      }
    }
  }

  private static ForwardBackwardRequest protoRequest(SoftPrompt p, List<Example> examples) {
    ForwardBackwardRequest.Builder b = ForwardBackwardRequest.newBuilder()
        .addPrompts(PromptRef.newBuilder().setTensor(Tensors.float32(p.values(), p.length(), p.dModel())));
    for (Example e : examples) {
      b.addExamples(TrainingExample.newBuilder().setInput(ids(e.inputIds())).setTarget(ids(e.targetIds())));
    }
    return b.build();
  }

  private static Text ids(int[] ids) {
    TokenIds.Builder t = TokenIds.newBuilder();
    Arrays.stream(ids).forEach(t::addIds);
    return Text.newBuilder().setIds(t).build();
  }

  /** One 2048×2048 float32 matmul through DJL (the peak reference). */
  private static Object matmul2048(DjlT5Engine engine) {
    Engine e = DjlEnvironment.pytorch(0, 0);
    if (peakA == null) {
      peakManager = e.newBaseManager();
      peakA = peakManager.randomUniform(-1, 1, new Shape(2048, 2048));
      peakB = peakManager.randomUniform(-1, 1, new Shape(2048, 2048));
    }
    JniUtils.setGradMode(false);
    try (NDArray c = peakA.dot(peakB)) {
      return c.getFloat(0, 0); // forces completion
    }
  }

  private static NDManager peakManager;
  private static NDArray peakA;
  private static NDArray peakB;

  /** Warm-up, then {@code iters} rounds running every case once; wall times in ms per case. */
  private static Map<String, double[]> time(Map<String, Supplier<?>> cases, int warmup, int iters) {
    for (int i = 0; i < warmup; i++) {
      cases.values().forEach(Supplier::get);
    }
    Map<String, double[]> t = new LinkedHashMap<>();
    cases.keySet().forEach(k -> t.put(k, new double[iters]));
    for (int i = 0; i < iters; i++) {
      for (Map.Entry<String, Supplier<?>> c : cases.entrySet()) {
        long t0 = System.nanoTime();
        c.getValue().get();
        t.get(c.getKey())[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return t;
  }

  private void row(String name, double[] ms, double flops, double peak) {
    double gf = flops / 1e9 / (median(ms) / 1e3);
    out.printf("%-44s %10.1f %10.1f %12.1f %9.0f%%%n", name, median(ms), best(ms), gf, 100 * gf / peak);
  }

  private static double median(double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double best(double[] ms) {
    return Arrays.stream(ms).min().orElseThrow();
  }

  private void profile(DjlT5Engine engine, List<SoftPrompt> prompts, List<Example> examples, Path trace)
      throws IOException {
    JniUtils.startProfile(false, true, false);
    long t0 = System.nanoTime();
    engine.forwardBackward(prompts, examples, null, true);
    double ms = (System.nanoTime() - t0) / 1e6;
    JniUtils.stopProfile(trace.toString());
    List<TraceSummary.Op> ops = TraceSummary.selfTimes(trace);
    double total = ops.stream().mapToDouble(TraceSummary.Op::selfMs).sum();
    out.printf("%nprofile of one ForwardBackward step (%.0f ms wall, %.0f ms op self time; trace %s):%n", ms,
        total, trace);
    for (TraceSummary.Op op : ops.subList(0, Math.min(15, ops.size()))) {
      out.printf("  %-40s %8.1f ms  %5.1f %%  %5d calls%n", op.name(), op.selfMs(), 100 * op.selfMs() / total,
          op.calls());
    }
  }

  private static float[] uniform(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() - 0.5);
    }
    return v;
  }

  /** Random ids in [3, vocab) ending with EOS (1). */
  private static int[] ids(SplittableRandom r, int n, int vocab) {
    int[] ids = r.ints(n, 3, Math.min(vocab, 32000)).toArray();
    ids[n - 1] = 1;
    return ids;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }
}
