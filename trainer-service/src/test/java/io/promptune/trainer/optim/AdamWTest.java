package io.promptune.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.promptune.trainer.loop.Rng;
import org.junit.jupiter.api.Test;

/** AdamW (torch.optim.AdamW semantics) against hand values and a float64 re-implementation. */
class AdamWTest {

  /** First step: m = 0.1 g, v = 0.001 g^2, bias-corrected m/sqrt(v) = sign(g), so P -= lr * sign(g) (eps aside). */
  @Test
  void firstStepMovesByLearningRateTimesSign() {
    float[] p = {1f, -1f};
    new AdamW(2, new AdamW.Settings(0.01, 0.9, 0.999, 1e-8, 0)).step(p, new float[] {0.5f, -3f}, 0.01);
    assertEquals(0.99, p[0], 1e-6);
    assertEquals(-0.99, p[1], 1e-6);
  }

  @Test
  void decoupledWeightDecayShrinksBeforeTheAdamStep() {
    float[] p = {2f};
    new AdamW(1, new AdamW.Settings(0.1, 0.9, 0.999, 1e-8, 0.5)).step(p, new float[] {1f}, 0.1);
    // 2 * (1 - 0.1 * 0.5) - 0.1 = 1.8
    assertEquals(1.8, p[0], 1e-6);
  }

  @Test
  void matchesFloat64Reference() {
    int n = 9;
    Rng rng = Rng.seeded(3);
    float[] p = new float[n];
    double[] ref = new double[n];
    for (int i = 0; i < n; i++) {
      p[i] = rng.nextFloat();
      ref[i] = p[i];
    }
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.99;
    double eps = 1e-6;
    double wd = 0.01;
    double[] m = new double[n];
    double[] v = new double[n];
    AdamW opt = new AdamW(n, new AdamW.Settings(lr, b1, b2, eps, wd));
    for (int t = 1; t <= 20; t++) {
      float[] g = new float[n];
      for (int i = 0; i < n; i++) {
        g[i] = rng.nextFloat() - 0.5f;
      }
      opt.step(p, g, lr);
      for (int i = 0; i < n; i++) {
        ref[i] *= 1 - lr * wd;
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        double mh = m[i] / (1 - Math.pow(b1, t));
        double vh = v[i] / (1 - Math.pow(b2, t));
        ref[i] -= lr * mh / (Math.sqrt(vh) + eps);
      }
    }
    for (int i = 0; i < n; i++) {
      assertEquals(ref[i], p[i], 1e-5, "i=" + i);
    }
  }
}
