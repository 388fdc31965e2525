package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * T5 decoder: pre-norm blocks of [causal self-attention, cross-attention over the encoder output,
 * feed-forward], each with a residual, then the final RMS norm. The causal relative position bias comes from
 * block 0's table and is shared by every layer; cross-attention has no position bias, only the encoder key
 * mask.
 */
public final class DecoderStack {

  /** One decoder block. */
  public record Block(RmsNorm selfNorm, Attention selfAttention, RmsNorm crossNorm, Attention crossAttention,
      RmsNorm ffNorm, FeedForward feedForward) {}

  private final List<Block> blocks;
  private final RelativePositionBias positionBias;
  private final RmsNorm finalNorm;
  private final double maskValue;
  private final NDArray crossKv; // [layers·2·inner, d]: k, v of layer 0, k, v of layer 1, ...
  private final int heads;
  private final int dKv;

  /**
   * @param crossKv every layer's cross-attention k and v weights stacked along rows (k0, v0, k1, v1, ...): one
   *                matmul over the encoder output serves all layers, and its backward is one matmul too, with
   *                no per-layer accumulation of the encoder output's gradient
   */
  public DecoderStack(List<Block> blocks, RelativePositionBias positionBias, RmsNorm finalNorm, double maskValue,
      NDArray crossKv, int heads, int dKv) {
    this.crossKv = crossKv;
    this.heads = heads;
    this.dKv = dKv;
    this.blocks = List.copyOf(blocks);
    this.positionBias = positionBias;
    this.finalNorm = finalNorm;
    this.maskValue = maskValue;
  }

  public int numLayers() {
    return blocks.size();
  }

  /** Per layer [K, V] for cross-attention, each [E, H, L, dk], from the encoder output [E, L, d]. */
  public NDList[] crossKeyValues(NDArray encoderHidden) {
    if (blocks.isEmpty()) {
      return new NDList[0];
    }
    NDList kv = Attention.splitHeads(Ops.linear(encoderHidden, crossKv), 2 * blocks.size(), heads, dKv);
    NDList[] out = new NDList[blocks.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = new NDList(kv.get(2 * i), kv.get(2 * i + 1));
    }
    return out;
  }

  /**
   * Teacher-forced decoder over whole sequences.
   *
   * @param embeds       shared[decoder_input_ids] [E·G, T, d]
   * @param cross        per layer [K, V] [E, H, L, dk]
   * @param encoderMask  [E, 1, 1, L]
   * @param groups       decoder rows per encoder row
   * @param hiddenStates when not null, receives the input of every block, then the final-norm output
   * @return final-norm output [E·G, T, d]
   */
  public NDArray forward(NDArray embeds, NDList[] cross, NDArray encoderMask, int groups,
      List<NDArray> hiddenStates) {
    int t = (int) embeds.getShape().get(1);
    NDManager m = embeds.getManager();
    double[] causal = new double[t * t];
    for (int i = 0; i < t; i++) {
      for (int j = i + 1; j < t; j++) {
        causal[i * t + j] = maskValue;
      }
    }
    NDArray causalMask = Ops.doubles(m, causal, new Shape(1, 1, t, t), embeds.getDataType());
    NDArray selfBias = positionBias.compute(m, 0, t, t).add(causalMask); // [1, H, T, T]
    NDArray h = embeds;
    for (int i = 0; i < blocks.size(); i++) {
      Block b = blocks.get(i);
      if (hiddenStates != null) {
        hiddenStates.add(h);
      }
      h = h.add(b.selfAttention().selfAttention(b.selfNorm().forward(h), selfBias));
      h = h.add(b.crossAttention().crossAttention(b.crossNorm().forward(h), cross[i].get(0), cross[i].get(1),
          encoderMask, groups));
      h = h.add(b.feedForward().forward(b.ffNorm().forward(h)));
    }
    h = finalNorm.forward(h);
    if (hiddenStates != null) {
      hiddenStates.add(h);
    }
    return h;
  }

  /** Starts incremental decoding; the state takes the cross K/V and mask arrays. */
  public DecoderState start(NDList[] cross, NDArray encoderMask, int groups) {
    NDArray[] k = new NDArray[blocks.size()];
    NDArray[] v = new NDArray[blocks.size()];
    for (int i = 0; i < k.length; i++) {
      k[i] = cross[i].get(0);
      v[i] = cross[i].get(1);
    }
    return new DecoderState(blocks.size(), k, v, encoderMask, groups);
  }

  /**
   * One incremental step: embeds [N, 1, d] of the newest token of every row → final-norm output [N, 1, d].
   * Appends this position's keys/values to the state's self-attention cache.
   */
  public NDArray step(DecoderState state, NDArray embeds) {
    int t = state.step;
    NDArray bias = positionBias.compute(embeds.getManager(), t, 1, t + 1); // [1, H, 1, t+1]
    NDArray h = embeds;
    for (int i = 0; i < blocks.size(); i++) {
      Block b = blocks.get(i);
      NDList self = b.selfAttention().selfAttentionStep(b.selfNorm().forward(h), state.selfK[i], state.selfV[i], bias);
      state.selfK[i] = self.get(1);
      state.selfV[i] = self.get(2);
      h = h.add(self.get(0));
      h = h.add(b.crossAttention().crossAttention(b.crossNorm().forward(h), state.crossK[i], state.crossV[i],
          state.encoderMask, state.groups));
      h = h.add(b.feedForward().forward(b.ffNorm().forward(h)));
    }
    state.step++;
    return finalNorm.forward(h);
  }
}
