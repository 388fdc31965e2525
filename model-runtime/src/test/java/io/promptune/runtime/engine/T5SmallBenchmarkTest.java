package io.promptune.runtime.engine;

import io.promptune.runtime.load.GeneratedCheckpoint;
import io.promptune.runtime.load.T5Checkpoint;
import io.promptune.runtime.load.T5Config;
import io.promptune.runtime.tokenizer.ByteTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Timing of a prompt-tuning step on a t5-small-shaped model with random weights: batch 8, input 64 tokens,
 * prompt 100, target 4. Slow (not in CI): {@code ./mvnw test -pl model-runtime -Pslow
 * -Dtest=T5SmallBenchmarkTest}.
 */
@Tag("slow")
class T5SmallBenchmarkTest {

  @Test
  void forwardBackward() {
    T5Config cfg = GeneratedCheckpoint.config("t5-small-random", GeneratedCheckpoint.Shape.t5Small());
    long t0 = System.nanoTime();
    T5Checkpoint ck = T5Checkpoint.of(null, cfg, GeneratedCheckpoint.weights(cfg, 1));
    System.out.printf("benchmark: generated t5-small weights in %.2f s%n", (System.nanoTime() - t0) / 1e9);
    int batch = Integer.getInteger("bench.batch", 8);
    int input = Integer.getInteger("bench.input", 64);
    int promptLen = Integer.getInteger("bench.prompt", 100);
    int target = Integer.getInteger("bench.target", 4);
    int iters = Integer.getInteger("bench.iters", 5);
    try (DjlT5Engine e = DjlT5Engine.fromCheckpoint(ck, new ByteTokenizer(384), EngineOptions.defaults())) {
      SplittableRandom r = new SplittableRandom(3);
      float[] p = new float[promptLen * 512];
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) (r.nextDouble() - 0.5);
      }
      List<SoftPrompt> prompts = List.of(new SoftPrompt(promptLen, 512, p));
      List<Example> ex = new ArrayList<>();
      for (int b = 0; b < batch; b++) {
        int[] in = new int[input];
        for (int i = 0; i < input; i++) {
          in[i] = 3 + r.nextInt(32000);
        }
        in[input - 1] = 1;
        int[] tg = new int[target];
        for (int i = 0; i < target; i++) {
          tg[i] = 3 + r.nextInt(32000);
        }
        tg[target - 1] = 1;
        ex.add(new Example(in, tg, 0));
      }
      e.forwardBackward(prompts, ex, null, true); // warm-up
      double best = Double.MAX_VALUE;
      double sum = 0;
      for (int i = 0; i < iters; i++) {
        long s = System.nanoTime();
        e.forwardBackward(prompts, ex, null, true);
        double ms = (System.nanoTime() - s) / 1e6;
        best = Math.min(best, ms);
        sum += ms;
      }
      long s = System.nanoTime();
      e.forwardBackward(prompts, ex, null, false);
      double fwd = (System.nanoTime() - s) / 1e6;
      System.out.printf("benchmark: t5-small forward+backward batch %d, input %d, prompt %d, target %d: best %.0f ms,"
              + " mean %.0f ms over %d; forward only %.0f ms; intra-op threads %d%n", batch, input, promptLen, target,
          best, sum / iters, iters, fwd, io.promptune.runtime.model.DjlEnvironment.intraOpThreads());
      if (Boolean.getBoolean("bench.profile")) {
        ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
        e.forwardBackward(prompts, ex, null, true);
        ai.djl.pytorch.jni.JniUtils.stopProfile("/tmp/prof-t5small.json");
      }
    }
  }
}
