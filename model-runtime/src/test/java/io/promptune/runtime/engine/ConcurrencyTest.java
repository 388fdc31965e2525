package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Calls from several threads at once give the same results as the same calls made one by one, also while the
 * garbage collector runs constantly (backward must never read memory the JVM has freed).
 */
class ConcurrencyTest {

  @Test
  void gradientsAreStableUnderGcPressure() throws Exception {
    for (String model : Golden.MODELS) {
      DjlT5Engine e = GoldenEngines.get(model);
      List<SoftPrompt> prompts = List.of(GradientCheckTest.prompt(4, 31));
      List<Example> ex = List.of(new Example(new int[] {37, 629, 19, 1}, new int[] {644, 5, 1}, 0));
      float[] reference = e.forwardBackward(prompts, ex, null, true).promptGradients().get(0);
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      Thread gc = new Thread(() -> {
        while (!stop.get()) {
          System.gc();
          for (int k = 0; k < 100; k++) {
            java.nio.ByteBuffer.allocateDirect(64).putFloat(0, 123f);
          }
          try {
            Thread.sleep(3);
          } catch (InterruptedException ie) {
            return;
          }
        }
      });
      gc.start();
      try {
        for (int i = 0; i < 25; i++) {
          assertArrayEquals(reference, e.forwardBackward(prompts, ex, null, true).promptGradients().get(0),
              model + " call " + i);
        }
      } finally {
        stop.set(true);
        gc.join();
      }
    }
  }

  @Test
  void concurrentCallsAreIsolated() throws Exception {
    DjlT5Engine e = GoldenEngines.get("tiny-t5-v1_1");
    List<SoftPrompt> prompts = List.of(GradientCheckTest.prompt(4, 21), GradientCheckTest.prompt(2, 22));
    List<List<Example>> batches = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      batches.add(List.of(new Example(new int[] {37 + i, 629, 19, 1}, new int[] {644 + i, 1}, i % 2),
          new Example(new int[] {8774, 296 + i, 1}, new int[] {27, 31, 1}, -1)));
    }
    List<ForwardBackwardResult> expected = new ArrayList<>();
    List<GenerationResult> expectedGen = new ArrayList<>();
    for (List<Example> b : batches) {
      expected.add(e.forwardBackward(prompts, b, null, true));
      expectedGen.add(e.generate(prompts, List.of(new GenerateQuery(b.get(0).inputIds(), 0)), 5, 2, 1f).get(0));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final int which = t;
        fs.add(pool.submit(() -> {
          for (int rep = 0; rep < 15; rep++) {
            int i = (which + rep) % batches.size();
            ForwardBackwardResult r = e.forwardBackward(prompts, batches.get(i), null, rep % 3 != 2);
            assertEquals(expected.get(i).loss(), r.loss(), 1e-6);
            if (r.promptGradients() != null) {
              for (int p = 0; p < prompts.size(); p++) {
                assertArrayEquals(expected.get(i).promptGradients().get(p), r.promptGradients().get(p), 1e-6f);
              }
            }
            GenerationResult g = e.generate(prompts, List.of(new GenerateQuery(batches.get(i).get(0).inputIds(), 0)),
                5, 2, 1f).get(0);
            assertArrayEquals(expectedGen.get(i).tokenIds(), g.tokenIds());
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
}
