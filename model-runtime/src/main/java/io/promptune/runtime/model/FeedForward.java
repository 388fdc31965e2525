package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * T5's DenseReluDense. v1.0: {@code wo(relu(wi(x)))}. v1.1 / gated: {@code wo(act(wi_0(x)) * wi_1(x))} with
 * act = gelu_new (tanh approximation) for "gated-gelu"; wi_0 and wi_1 are fused into one [2·d_ff, d] matmul.
 */
public final class FeedForward {

  private final NDArray wi; // [d_ff, d] or fused [2*d_ff, d] when gated
  private final NDArray wo; // [d, d_ff]
  private final boolean gated;
  private final String activation;

  public FeedForward(NDArray wi, NDArray wo, boolean gated, String activation) {
    this.wi = wi;
    this.wo = wo;
    this.gated = gated;
    this.activation = activation;
  }

  /** x [..., d] → [..., d]. */
  public NDArray forward(NDArray x) {
    NDArray h = Ops.linear(x, wi);
    if (gated) {
      int axis = h.getShape().dimension() - 1;
      NDList parts = h.split(new long[] {h.getShape().get(axis) / 2}, axis); // [..., d_ff] each
      h = activate(parts.get(0)).mul(parts.get(1));
    } else {
      h = activate(h);
    }
    return Ops.linear(h, wo);
  }

  private NDArray activate(NDArray x) {
    return switch (activation) {
      case "relu" -> Ops.relu(x);
      case "gelu_new", "gelu_pytorch_tanh" -> Ops.geluTanh(x);
      case "gelu" -> Ops.geluErf(x);
      case "silu", "swish" -> Ops.silu(x);
      default -> throw new IllegalStateException("unsupported activation " + activation);
    };
  }
}
