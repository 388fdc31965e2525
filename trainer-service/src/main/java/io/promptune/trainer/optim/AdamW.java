package io.promptune.trainer.optim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Adam with decoupled weight decay, as {@code torch.optim.AdamW}: P *= 1 - lr*wd; m, v moving averages;
 * P -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). Element-wise float32, scalars in double.
 */
public final class AdamW implements PromptOptimizer {

  public record Settings(double learningRate, double beta1, double beta2, double eps, double weightDecay) {

    public static Settings defaults() {
      return new Settings(1e-3, 0.9, 0.999, 1e-8, 0.0);
    }
  }

  private final int size;
  private final Settings s;
  private int step;
  private float[] m;
  private float[] v;

  public AdamW(int size, Settings settings) {
    this.size = size;
    this.s = settings;
    this.m = new float[size];
    this.v = new float[size];
  }

  @Override
  public String kind() {
    return "adamw";
  }

  @Override
  public int steps() {
    return step;
  }

  @Override
  public void step(float[] p, float[] grad, double lr) {
    if (p.length != size || grad.length != size) {
      throw new IllegalArgumentException("expected " + size + " values");
    }
    step++;
    if (s.weightDecay() != 0) {
      float keep = (float) (1.0 - lr * s.weightDecay());
      for (int i = 0; i < size; i++) {
        p[i] = p[i] * keep;
      }
    }
    float b1 = (float) s.beta1();
    float b2 = (float) s.beta2();
    float oneMinusB1 = (float) (1 - s.beta1());
    float oneMinusB2 = (float) (1 - s.beta2());
    double bc1 = 1.0 - Math.pow(s.beta1(), step);
    double bc2 = 1.0 - Math.pow(s.beta2(), step);
    float stepSize = (float) (lr / bc1);
    float bc2Sqrt = (float) Math.sqrt(bc2);
    float eps = (float) s.eps();
    for (int i = 0; i < size; i++) {
      float g = grad[i];
      m[i] = m[i] * b1 + oneMinusB1 * g;
      v[i] = v[i] * b2 + oneMinusB2 * g * g;
      float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + eps;
      p[i] = p[i] - stepSize * (m[i] / denom);
    }
  }

  @Override
  public void save(DataOutput out) throws IOException {
    out.writeInt(step);
    StateIo.writeFloats(out, m);
    StateIo.writeFloats(out, v);
  }

  @Override
  public void restore(DataInput in) throws IOException {
    int t = in.readInt();
    float[] mm = StateIo.readFloats(in, size, "adamw first moment");
    float[] vv = StateIo.readFloats(in, size, "adamw second moment");
    step = t;
    m = mm;
    v = vv;
  }

  @Override
  public SortedMap<String, String> hyperparameters() {
    SortedMap<String, String> h = new TreeMap<>();
    h.put("optimizer", "adamw");
    h.put("learning_rate", Double.toString(s.learningRate()));
    h.put("adam_beta1", Double.toString(s.beta1()));
    h.put("adam_beta2", Double.toString(s.beta2()));
    h.put("adam_eps", Double.toString(s.eps()));
    h.put("weight_decay", Double.toString(s.weightDecay()));
    return h;
  }
}
