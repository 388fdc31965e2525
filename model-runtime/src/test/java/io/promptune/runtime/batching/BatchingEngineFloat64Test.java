package io.promptune.runtime.batching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.runtime.engine.DjlT5Engine;
import io.promptune.runtime.engine.EngineOptions;
import io.promptune.runtime.engine.Example;
import io.promptune.runtime.engine.Golden;
import io.promptune.runtime.engine.SoftPrompt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The merge arithmetic itself is exact: with the engine in float64 a request merged with other callers' requests
 * (different prompts, lengths, padding) gets the same loss and per-example NLL as alone to 1e-13 relative (float64
 * rounding; bitwise in most runs) and gradients equal to within a float32 ulp after their rounding to float32. In
 * float32 the same comparison differs only at float32's own noise level (BatchingExactnessTest).
 */
class BatchingEngineFloat64Test {

  static final int CALLERS = 6;
  static DjlT5Engine engine;

  @BeforeAll
  static void load() throws Exception {
    engine = DjlT5Engine.load(Golden.model("tiny-t5-v1_0"), EngineOptions.defaults()
        .withPrecision(EngineOptions.Precision.FLOAT64)
        .withTokenizerPath(Golden.tokenizerJson()));
  }

  @AfterAll
  static void close() {
    if (engine != null) {
      engine.close();
    }
  }

  record Req(List<SoftPrompt> prompts, List<Example> examples) {}

  static Req request(int c) {
    SplittableRandom r = new SplittableRandom(c);
    List<SoftPrompt> prompts = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      int rows = 2 + c + p;
      float[] v = new float[rows * 64];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (r.nextDouble() - 0.5);
      }
      prompts.add(new SoftPrompt(rows, 64, v));
    }
    List<Example> examples = new ArrayList<>();
    for (int e = 0; e <= c % 3; e++) {
      int[] in = r.ints(3 + 3 * c + e, 2, 32000).toArray();
      in[in.length - 1] = 1;
      int[] tg = r.ints(1 + (c + e) % 4, 2, 32000).toArray();
      examples.add(new Example(in, tg, (c + e) % 3 - 1)); // prompt 0, 1 or none
    }
    return new Req(prompts, examples);
  }

  @Test
  void mergedEqualsAloneBitwise() throws Exception {
    List<FbOutcome> alone = new ArrayList<>();
    try (BatchingEngine direct = new BatchingEngine(engine, false, Duration.ZERO, 1 << 20)) {
      for (int c = 0; c < CALLERS; c++) {
        alone.add(direct.forwardBackward(request(c).prompts(), request(c).examples(), true));
      }
    }
    try (BatchingEngine batched = new BatchingEngine(engine, true, Duration.ofMillis(50), 1 << 20)) {
      ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
      CyclicBarrier go = new CyclicBarrier(CALLERS);
      List<Future<FbOutcome>> fs = new ArrayList<>();
      for (int c = 0; c < CALLERS; c++) {
        Req q = request(c);
        fs.add(pool.submit(() -> {
          go.await();
          return batched.forwardBackward(q.prompts(), q.examples(), true);
        }));
      }
      for (int c = 0; c < CALLERS; c++) {
        FbOutcome m = fs.get(c).get();
        FbOutcome a = alone.get(c);
        assertEquals(a.loss(), m.loss(), 1e-13 * a.loss(), "caller " + c + " loss");
        assertArrayEquals(a.exampleSumNll(), m.exampleSumNll(), 1e-12, "caller " + c + " NLL");
        for (int p = 0; p < a.promptGradients().size(); p++) {
          float[] ga = a.promptGradients().get(p);
          float scale = 0;
          for (float v : ga) {
            scale = Math.max(scale, Math.abs(v));
          }
          assertArrayEquals(ga, m.promptGradients().get(p), 2e-7f * scale, "caller " + c + " grad " + p);
        }
      }
      pool.shutdownNow();
      long[] s = batched.stats();
      assertEquals(CALLERS, s[1]);
      assertTrue(s[0] < CALLERS, "requests were merged: " + s[1] + " in " + s[0] + " engine calls");
    }
  }
}
