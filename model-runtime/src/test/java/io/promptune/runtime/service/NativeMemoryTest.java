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
import io.promptune.runtime.engine.MemoryTrend;
import io.promptune.runtime.grpc.RuntimeTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Requests of every engine-backed kind through the service (real gRPC, 4 concurrent callers, so batching is
 * exercised) leave no NDArrays in the engine beyond its weights (always run), and over a long soak (slow profile)
 * native memory after warm-up is flat ({@link MemoryTrend}: least-squares trend of VmRSS minus the Java heap).
 */
@QuarkusTest
class NativeMemoryTest {

  static final int D = 64;

  @Inject
  ModelHost host;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  @Test
  void requestsLeaveNoArraysBehind() throws Exception {
    int liveBefore = liveArrays();
    run(0, 400);
    assertTrue(liveArrays() <= liveBefore, "engine NDArrays grew from " + liveBefore + " to " + liveArrays());
  }

  @Tag("slow")
  @Test
  void nativeMemoryIsFlatOverTwentyThousandRequests() throws Exception {
    int liveBefore = liveArrays();
    run(0, 10000); // warm-up: native memory rises by ~50 MiB over the first ~7000 requests, then stays
    MemoryTrend trend = new MemoryTrend();
    trend.sample(0);
    long t0 = System.nanoTime();
    for (int done = 0; done < 20000; done += 500) {
      run(10000 + done, 500);
      trend.sample(done + 500);
    }
    System.out.printf("native memory soak: 20000 requests in %.1f s; engine NDArrays %d -> %d%n",
        (System.nanoTime() - t0) / 1e9, liveBefore, liveArrays());
    assertTrue(liveArrays() <= liveBefore, "engine NDArrays grew from " + liveBefore + " to " + liveArrays());
    trend.assertFlat("service soak, 20000 requests after 10000 warm-up");
  }

  int liveArrays() {
    return host.service().engine() instanceof DjlT5Engine e ? e.liveArrayCount() : 0;
  }

  /** The same 4 caller threads for every run: new threads would bring new allocator arenas and caches. */
  static final ExecutorService CALLERS = Executors.newFixedThreadPool(4, r -> Thread.ofPlatform().daemon()
      .name("memory-soak-caller").unstarted(r));

  /** Runs requests first .. first + n - 1 (a mix of all engine-backed RPCs) from 4 threads. */
  static void run(int first, int n) throws Exception {
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      fs.add(CALLERS.submit(() -> {
        for (int i = thread; i < n; i += 4) {
          one(first + i);
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
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
}
