package io.promptune.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.promptune.trainer.loop.Rng;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Adafactor against values derived independently of the implementation: numbers worked out by hand from the
 * update rule, and a float64 re-implementation written here from the documented algorithm (transformers'
 * Adafactor with scale_parameter=False, relative_step=False, warmup_init=False).
 */
class AdafactorTest {

  /**
   * Step 1 by hand. G = [[1,2],[3,4]]; at t=1 beta2_t = 1 - 1^-0.8 = 0, so R = rowMean(G^2) = [2.5, 12.5],
   * C = colMean(G^2) = [5, 10], mean(R) = 7.5 and V_ij = R_i C_j / 7.5 = [[5/3, 10/3], [25/3, 50/3]].
   * U = G / sqrt(V) = [[sqrt(0.6), 2 sqrt(0.3)], [3 sqrt(0.12), 4 sqrt(0.06)]]; RMS(U) = sqrt(3.84 / 4) &lt; 1,
   * so no clipping. P' = P - 1e-5 * 0.3 * P - 0.3 U.
   */
  @Test
  void firstStepMatchesHandComputedValues() {
    float[] p = {0.5f, -0.5f, 1f, 0f};
    float[] g = {1f, 2f, 3f, 4f};
    Adafactor opt = new Adafactor(2, 2, Adafactor.Settings.paper());
    opt.step(p, g, 0.3);
    double[] u = {Math.sqrt(0.6), 2 * Math.sqrt(0.3), 3 * Math.sqrt(0.12), 4 * Math.sqrt(0.06)};
    double[] p0 = {0.5, -0.5, 1, 0};
    for (int i = 0; i < 4; i++) {
      double expected = p0[i] - 1e-5 * 0.3 * p0[i] - 0.3 * u[i];
      assertEquals(expected, p[i], 1e-6, "element " + i);
    }
    // Spelled out: 0.5 - 1.5e-6 - 0.3 * 0.7745967 = 0.2676195
    assertEquals(0.2676195, p[0], 1e-6);
    assertEquals(-0.8286320, p[1], 1e-6);
    assertEquals(0.6882279, p[2], 1e-6);
    assertEquals(-0.2939388, p[3], 1e-6);
  }

  /**
   * Step 2 by hand with G = [[1,2],[3,4]] again: beta2_2 = 1 - 2^-0.8 = 0.42565..., and R, C are unchanged
   * (a convex mix of equal values), so the update direction is the same as in step 1.
   */
  @Test
  void secondStepWithTheSameGradientRepeatsTheUpdate() {
    float[] p = {0f, 0f, 0f, 0f};
    float[] g = {1f, 2f, 3f, 4f};
    Adafactor opt = new Adafactor(2, 2, new Adafactor.Settings(0.3, 0.8, 0, 1.0, false, 1e-30, 1e-3, 0));
    opt.step(p, g, 0.3);
    opt.step(p, g, 0.3);
    assertEquals(-2 * 0.3 * Math.sqrt(0.6), p[0], 1e-6);
    assertEquals(-2 * 0.3 * 4 * Math.sqrt(0.06), p[3], 1e-6);
  }

  /** A 1x1 "matrix" whose update is clipped: |U| = 1 after normalisation, clip 0.5 halves it. */
  @Test
  void updateClippingByRms() {
    float[] p = {1f};
    Adafactor opt = new Adafactor(1, 1, new Adafactor.Settings(0.1, 0.8, 0, 0.5, false, 1e-30, 1e-3, 0));
    opt.step(p, new float[] {-7f}, 0.1);
    // U = G / sqrt(G^2) = -1; RMS = 1 > 0.5 -> U / 2 = -0.5; P = 1 - 0.1 * (-0.5) = 1.05
    assertEquals(1.05, p[0], 1e-7);
  }

  @Test
  void matchesFloat64ReferenceOverManySteps() {
    for (double[] cfg : new double[][] {
        {0.3, 0.8, 1e-5, 1.0, 0, 0}, // the paper
        {0.3, 0.8, 1e-2, 0.05, 0, 0}, // heavy clipping and decay
        {0.01, 0.8, 0, 1.0, 0.9, 0}, // first moment
        {0.05, 0.8, 1e-5, 1.0, 0, 1}, // parameter scaling
    }) {
      int rows = 5;
      int cols = 7;
      Rng rng = Rng.seeded(42);
      float[] p = new float[rows * cols];
      for (int i = 0; i < p.length; i++) {
        p[i] = rng.nextFloat() - 0.5f;
      }
      List<float[]> grads = new ArrayList<>();
      for (int t = 0; t < 12; t++) {
        float[] g = new float[p.length];
        for (int i = 0; i < g.length; i++) {
          g[i] = (rng.nextFloat() - 0.5f) * (t + 1);
        }
        grads.add(g);
      }
      double[] lrs = new double[grads.size()];
      for (int t = 0; t < lrs.length; t++) {
        lrs[t] = cfg[0] * (1.0 - t / 24.0); // a decaying schedule, like warmup_linear's tail
      }
      double[] ref = reference(toDouble(p), grads, rows, cols, lrs, cfg[1], cfg[2], cfg[3], 1e-30, 1e-3, cfg[4],
          cfg[5] == 1);
      Adafactor opt = new Adafactor(rows, cols,
          new Adafactor.Settings(cfg[0], cfg[1], cfg[2], cfg[3], cfg[5] == 1, 1e-30, 1e-3, cfg[4]));
      float[] q = p.clone();
      for (int t = 0; t < grads.size(); t++) {
        opt.step(q, grads.get(t), lrs[t]);
      }
      for (int i = 0; i < q.length; i++) {
        assertEquals(ref[i], q[i], 2e-5 * Math.max(1, Math.abs(ref[i])), "config " + List.of(cfg[0], cfg[3]) + " i=" + i);
      }
    }
  }

  /** The documented algorithm, in double precision, written independently of {@link Adafactor}. */
  static double[] reference(double[] p, List<float[]> grads, int rows, int cols, double[] lrs, double decay,
      double wd, double clip, double eps1, double eps2, double beta1, boolean scale) {
    double[] r = new double[rows];
    double[] c = new double[cols];
    double[] m = new double[rows * cols];
    for (int t = 1; t <= grads.size(); t++) {
      float[] g = grads.get(t - 1);
      double lr = lrs[t - 1];
      if (scale) {
        double ss = 0;
        for (double v : p) {
          ss += v * v;
        }
        lr *= Math.max(eps2, Math.sqrt(ss / p.length));
      }
      double b2 = 1 - Math.pow(t, -decay);
      for (int i = 0; i < rows; i++) {
        double s = 0;
        for (int j = 0; j < cols; j++) {
          s += (double) g[i * cols + j] * g[i * cols + j] + eps1;
        }
        r[i] = b2 * r[i] + (1 - b2) * s / cols;
      }
      for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int i = 0; i < rows; i++) {
          s += (double) g[i * cols + j] * g[i * cols + j] + eps1;
        }
        c[j] = b2 * c[j] + (1 - b2) * s / rows;
      }
      double rMean = 0;
      for (double v : r) {
        rMean += v / rows;
      }
      double[] u = new double[rows * cols];
      double ss = 0;
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          double vhat = r[i] * c[j] / rMean;
          u[i * cols + j] = g[i * cols + j] / Math.sqrt(vhat);
          ss += u[i * cols + j] * u[i * cols + j];
        }
      }
      double div = Math.max(1, Math.sqrt(ss / u.length) / clip);
      for (int k = 0; k < u.length; k++) {
        u[k] = u[k] / div * lr;
        if (beta1 > 0) {
          m[k] = beta1 * m[k] + (1 - beta1) * u[k];
          u[k] = m[k];
        }
        p[k] = p[k] - wd * lr * p[k] - u[k];
      }
    }
    return p;
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  @Test
  void stateRoundTripContinuesBitIdentically() throws Exception {
    Adafactor a = new Adafactor(3, 4, new Adafactor.Settings(0.3, 0.8, 1e-5, 1.0, false, 1e-30, 1e-3, 0.5));
    float[] p = new float[12];
    Rng rng = Rng.seeded(7);
    for (int t = 0; t < 3; t++) {
      float[] g = new float[12];
      for (int i = 0; i < 12; i++) {
        g[i] = rng.nextFloat() - 0.5f;
      }
      a.step(p, g, 0.3);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    a.save(new DataOutputStream(bytes));
    Adafactor b = new Adafactor(3, 4, new Adafactor.Settings(0.3, 0.8, 1e-5, 1.0, false, 1e-30, 1e-3, 0.5));
    b.restore(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertEquals(3, b.steps());
    float[] g = new float[12];
    for (int i = 0; i < 12; i++) {
      g[i] = rng.nextFloat() - 0.5f;
    }
    float[] pa = p.clone();
    float[] pb = p.clone();
    a.step(pa, g, 0.3);
    b.step(pb, g, 0.3);
    assertArrayEquals(pa, pb);
  }
}
