package io.promptune.runtime.service;

import static io.promptune.runtime.grpc.RuntimeTestSupport.prompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.randomPrompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.stub;
import static io.promptune.runtime.grpc.RuntimeTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.TrainingExample;
import io.promptune.runtime.engine.DjlT5Engine;
import io.promptune.runtime.grpc.RuntimeTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Thousands of requests of every engine-backed kind through the service (real gRPC, 4 concurrent callers, so
 * batching is exercised) do not grow native memory: resident set size (VmRSS) after the run stays within a margin
 * of its value after warm-up, and the engine holds no NDArrays beyond its weights.
 */
@QuarkusTest
class NativeMemoryTest {

  static final int D = 64;
  static final long MARGIN_BYTES = 64L << 20;

  @Inject
  ModelHost host;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  @Test
  void rssIsStableOverTwoThousandRequests() throws Exception {
    soak(400, 2000);
  }

  @Tag("slow")
  @Test
  void rssIsStableOverTwentyThousandRequests() throws Exception {
    soak(1000, 20000);
  }

  void soak(int warmup, int requests) throws Exception {
    int liveBefore = liveArrays();
    run(warmup);
    long rss0 = settledRss();
    long t0 = System.nanoTime();
    run(requests);
    double seconds = (System.nanoTime() - t0) / 1e9;
    long rss1 = settledRss();
    int liveAfter = liveArrays();
    System.out.printf("native memory soak: %d requests in %.1f s; VmRSS after warm-up %d MiB, after %d MiB "
        + "(%+d KiB, %.2f KiB/request); engine NDArrays %d -> %d%n", requests, seconds, rss0 >> 20, rss1 >> 20,
        (rss1 - rss0) >> 10, (rss1 - rss0) / 1024.0 / requests, liveBefore, liveAfter);
    assertTrue(rss1 - rss0 < MARGIN_BYTES, "VmRSS grew by " + ((rss1 - rss0) >> 20) + " MiB over " + requests
        + " requests");
    assertTrue(liveAfter <= liveBefore, "engine NDArrays grew from " + liveBefore + " to " + liveAfter);
  }

  int liveArrays() {
    return host.service().engine() instanceof DjlT5Engine e ? e.liveArrayCount() : 0;
  }

  /** Runs n requests (a mix of all engine-backed RPCs) from 4 threads. */
  static void run(int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        fs.add(pool.submit(() -> {
          for (int i = thread; i < n; i += 4) {
            one(i);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static void one(int i) {
    int rows = 1 + i % 7;
    var p = prompt(randomPrompt(i, rows * D), rows, D);
    String input = "request number " + i + " " + "x".repeat(i % 13);
    switch (i % 5) {
      case 0, 1 -> stub().forwardBackward(ForwardBackwardRequest.newBuilder().addPrompts(p)
          .addExamples(TrainingExample.newBuilder().setInput(text(input)).setTarget(text("label " + i % 3)))
          .addExamples(TrainingExample.newBuilder().setInput(text("second " + input)).setTarget(text("other")))
          .build());
      case 2 -> stub().score(ScoreRequest.newBuilder().addPrompts(p).addExamples(ScoreExample.newBuilder()
          .setInput(text(input)).addCandidates(text("yes")).addCandidates(text("no"))).build());
      case 3 -> stub().generate(GenerateRequest.newBuilder().addPrompts(p).setMaxNewTokens(3)
          .setNumBeams(i % 2 == 0 ? 1 : 2).addInputs(GenerateInput.newBuilder().setInput(text(input))).build());
      default -> stub().embedTokens(EmbedTokensRequest.newBuilder().addIds(i % 32128).addIds(5).build());
    }
  }

  static long settledRss() throws IOException, InterruptedException {
    System.gc();
    Thread.sleep(200);
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
