package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;

/**
 * T5LayerNorm: RMS norm without mean subtraction or bias, {@code w · x / sqrt(mean(x²) + eps)}. The variance is
 * computed in the activation dtype, which is float32 (or float64 in the engine's double mode), as HF does.
 */
public final class RmsNorm {

  private final NDArray weight; // [d]
  private final double eps;

  public RmsNorm(NDArray weight, double eps) {
    this.weight = weight;
    this.eps = eps;
  }

  /** x [..., d] → [..., d]. */
  public NDArray forward(NDArray x) {
    NDArray variance = x.mul(x).mean(new int[] {-1}, true); // [..., 1]
    return x.div(variance.add(Ops.scalar(variance, eps)).sqrt()).mul(weight);
  }
}
