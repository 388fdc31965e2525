package io.promptune.trainer.optim;

import io.promptune.api.v1.Optimizer;

/** Builds the optimiser of a job from its (defaults-filled) spec. */
public final class Optimizers {

  private Optimizers() {}

  /** The proto with every zero field replaced by its documented default (the paper's Adafactor when unset). */
  public static Optimizer withDefaults(Optimizer o) {
    if (o.hasAdam()) {
      var a = o.getAdam().toBuilder();
      if (a.getLearningRate() == 0) {
        a.setLearningRate(1e-3f);
      }
      if (a.getBeta1() == 0) {
        a.setBeta1(0.9f);
      }
      if (a.getBeta2() == 0) {
        a.setBeta2(0.999f);
      }
      if (a.getEps() == 0) {
        a.setEps(1e-8f);
      }
      return Optimizer.newBuilder().setAdam(a).build();
    }
    var f = o.getAdafactor().toBuilder();
    Adafactor.Settings d = Adafactor.Settings.paper();
    if (f.getLearningRate() == 0) {
      f.setLearningRate((float) d.learningRate());
    }
    if (f.getDecayRate() == 0) {
      f.setDecayRate((float) d.decayRate());
    }
    if (f.getWeightDecay() == 0) {
      f.setWeightDecay((float) d.weightDecay());
    }
    if (f.getClipThreshold() == 0) {
      f.setClipThreshold((float) d.clipThreshold());
    }
    if (f.getEps1() == 0) {
      f.setEps1((float) d.eps1());
    }
    if (f.getEps2() == 0) {
      f.setEps2((float) d.eps2());
    }
    return Optimizer.newBuilder().setAdafactor(f).build();
  }

  /** Checks ranges; returns an error message or null. */
  public static String validate(Optimizer o) {
    if (o.hasAdam()) {
      var a = o.getAdam();
      if (!(a.getLearningRate() > 0) || a.getBeta1() < 0 || a.getBeta1() >= 1 || a.getBeta2() < 0
          || a.getBeta2() >= 1 || !(a.getEps() > 0) || a.getWeightDecay() < 0) {
        return "adam: need learning_rate > 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0";
      }
      return null;
    }
    var f = o.getAdafactor();
    if (!(f.getLearningRate() > 0) || !(f.getClipThreshold() > 0) || f.getWeightDecay() < 0 || f.getBeta1() < 0
        || f.getBeta1() >= 1 || !(f.getEps1() > 0) || !(f.getEps2() > 0) || !Float.isFinite(f.getDecayRate())) {
      return "adafactor: need learning_rate > 0, clip_threshold > 0, weight_decay >= 0, 0 <= beta1 < 1, eps > 0";
    }
    return null;
  }

  /** The base learning rate (before the schedule). */
  public static double learningRate(Optimizer o) {
    return dec(o.hasAdam() ? o.getAdam().getLearningRate() : o.getAdafactor().getLearningRate());
  }

  /** A fresh optimiser for a [rows, cols] prompt; {@code o} must already have its defaults filled in. */
  public static PromptOptimizer create(Optimizer o, int rows, int cols) {
    if (o.hasAdam()) {
      var a = o.getAdam();
      return new AdamW(rows * cols, new AdamW.Settings(dec(a.getLearningRate()), dec(a.getBeta1()),
          dec(a.getBeta2()), dec(a.getEps()), dec(a.getWeightDecay())));
    }
    var f = o.getAdafactor();
    return new Adafactor(rows, cols, new Adafactor.Settings(dec(f.getLearningRate()), dec(f.getDecayRate()),
        dec(f.getWeightDecay()), dec(f.getClipThreshold()), f.getScaleParameter(), dec(f.getEps1()),
        dec(f.getEps2()), dec(f.getBeta1())));
  }

  /**
   * The double a person meant by a proto float: 0.3f becomes 0.3, not 0.30000001192092896, so the math matches a
   * reference run configured with the decimal value.
   */
  public static double dec(float f) {
    return Double.parseDouble(Float.toString(f));
  }
}
