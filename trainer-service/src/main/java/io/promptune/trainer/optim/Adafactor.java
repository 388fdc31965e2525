package io.promptune.trainer.optim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Adafactor (Shazeer &amp; Stern 2018) for the 2-D prompt, following Hugging Face transformers'
 * {@code transformers.optimization.Adafactor} (itself from fairseq) step for step, with {@code relative_step=False}
 * and {@code warmup_init=False}. For one step t (1-based):
 *
 * <pre>
 *   lr_t    = lr * (scale_parameter ? max(eps2, RMS(P)) : 1)
 *   beta2_t = 1 - t^(-decay_rate)
 *   U       = G^2 + eps1
 *   R       = beta2_t * R + (1 - beta2_t) * rowMean(U)          (factored second moments: rows and columns)
 *   C       = beta2_t * C + (1 - beta2_t) * colMean(U)
 *   V       = (R / mean(R)) outer C ; U = G / sqrt(V)
 *   U       = U / max(1, RMS(U) / clip_threshold) * lr_t
 *   M       = beta1 * M + (1 - beta1) * U ; U = M          (only when beta1 &gt; 0)
 *   P       = P - weight_decay * lr_t * P                      (weight decay on P before the update, as HF)
 *   P       = P - U
 * </pre>
 *
 * Element-wise math is float32 like the PyTorch original; reductions (means, RMS) accumulate in double in index
 * order, which makes every step bit-reproducible.
 */
public final class Adafactor implements PromptOptimizer {

  /** The paper's settings (Lester et al. 2021): lr 0.3, decay 0.8, weight decay 1e-5, clipping 1.0, no scaling. */
  public record Settings(double learningRate, double decayRate, double weightDecay, double clipThreshold,
      boolean scaleParameter, double eps1, double eps2, double beta1) {

    public static Settings paper() {
      return new Settings(0.3, 0.8, 1e-5, 1.0, false, 1e-30, 1e-3, 0.0);
    }
  }

  private final int rows;
  private final int cols;
  private final Settings s;
  private int step;
  private float[] rowAvg;
  private float[] colAvg;
  private float[] expAvg;

  public Adafactor(int rows, int cols, Settings settings) {
    if (rows <= 0 || cols <= 0) {
      throw new IllegalArgumentException("shape [" + rows + ", " + cols + "]");
    }
    this.rows = rows;
    this.cols = cols;
    this.s = settings;
    this.rowAvg = new float[rows];
    this.colAvg = new float[cols];
    this.expAvg = settings.beta1() > 0 ? new float[rows * cols] : null;
  }

  @Override
  public String kind() {
    return "adafactor";
  }

  @Override
  public int steps() {
    return step;
  }

  @Override
  public void step(float[] p, float[] grad, double lr) {
    int n = rows * cols;
    if (p.length != n || grad.length != n) {
      throw new IllegalArgumentException("expected " + n + " values, got p=" + p.length + " grad=" + grad.length);
    }
    step++;
    double lrT = lr;
    if (s.scaleParameter()) {
      lrT = Math.max(s.eps2(), rms(p)) * lr;
    }
    // The decay rate is given as a positive number (0.8); HF passes it negated (-0.8).
    double beta2t = 1.0 - Math.pow(step, -Math.abs(s.decayRate()));
    float beta = (float) beta2t;
    float oneMinusBeta = (float) (1.0 - beta2t);
    float eps1 = (float) s.eps1();

    float[] u = new float[n];
    for (int i = 0; i < n; i++) {
      u[i] = grad[i] * grad[i] + eps1;
    }
    for (int r = 0; r < rows; r++) {
      double sum = 0;
      for (int c = 0; c < cols; c++) {
        sum += u[r * cols + c];
      }
      rowAvg[r] = rowAvg[r] * beta + oneMinusBeta * (float) (sum / cols);
    }
    for (int c = 0; c < cols; c++) {
      double sum = 0;
      for (int r = 0; r < rows; r++) {
        sum += u[r * cols + c];
      }
      colAvg[c] = colAvg[c] * beta + oneMinusBeta * (float) (sum / rows);
    }
    double rowSum = 0;
    for (int r = 0; r < rows; r++) {
      rowSum += rowAvg[r];
    }
    float rowMean = (float) (rowSum / rows);
    float[] colFactor = new float[cols];
    for (int c = 0; c < cols; c++) {
      colFactor[c] = (float) (1.0 / Math.sqrt(colAvg[c]));
    }
    double sq = 0;
    for (int r = 0; r < rows; r++) {
      float rowFactor = (float) (1.0 / Math.sqrt(rowAvg[r] / rowMean));
      for (int c = 0; c < cols; c++) {
        int i = r * cols + c;
        float v = rowFactor * colFactor[c] * grad[i];
        u[i] = v;
        sq += (double) v * v;
      }
    }
    float clipDiv = (float) Math.max(Math.sqrt(sq / n) / s.clipThreshold(), 1.0);
    float lrF = (float) lrT;
    for (int i = 0; i < n; i++) {
      u[i] = (u[i] / clipDiv) * lrF;
    }
    if (expAvg != null) {
      float b1 = (float) s.beta1();
      float oneMinusB1 = (float) (1 - s.beta1());
      for (int i = 0; i < n; i++) {
        expAvg[i] = expAvg[i] * b1 + oneMinusB1 * u[i];
        u[i] = expAvg[i];
      }
    }
    if (s.weightDecay() != 0) {
      float decay = (float) (-s.weightDecay() * lrT);
      for (int i = 0; i < n; i++) {
        p[i] = p[i] + decay * p[i];
      }
    }
    for (int i = 0; i < n; i++) {
      p[i] = p[i] - u[i];
    }
  }

  private static double rms(float[] a) {
    double sq = 0;
    for (float v : a) {
      sq += (double) v * v;
    }
    return Math.sqrt(sq / a.length);
  }

  @Override
  public void save(DataOutput out) throws IOException {
    out.writeInt(step);
    StateIo.writeFloats(out, rowAvg);
    StateIo.writeFloats(out, colAvg);
    StateIo.writeFloats(out, expAvg);
  }

  @Override
  public void restore(DataInput in) throws IOException {
    int t = in.readInt();
    float[] r = StateIo.readFloats(in, rows, "adafactor row second moments");
    float[] c = StateIo.readFloats(in, cols, "adafactor column second moments");
    float[] m = StateIo.readFloats(in);
    if ((m == null) != (expAvg == null) || (m != null && m.length != rows * cols)) {
      throw new IOException("adafactor first moment does not match beta1=" + s.beta1());
    }
    step = t;
    rowAvg = r;
    colAvg = c;
    expAvg = m;
  }

  @Override
  public SortedMap<String, String> hyperparameters() {
    SortedMap<String, String> h = new TreeMap<>();
    h.put("optimizer", "adafactor");
    h.put("learning_rate", Double.toString(s.learningRate()));
    h.put("adafactor_decay_rate", Double.toString(s.decayRate()));
    h.put("weight_decay", Double.toString(s.weightDecay()));
    h.put("adafactor_clip_threshold", Double.toString(s.clipThreshold()));
    h.put("adafactor_scale_parameter", Boolean.toString(s.scaleParameter()));
    h.put("adafactor_eps1", Double.toString(s.eps1()));
    h.put("adafactor_eps2", Double.toString(s.eps2()));
    h.put("adafactor_beta1", Double.toString(s.beta1()));
    return h;
  }
}
