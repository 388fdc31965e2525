package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * T5 encoder: pre-norm blocks of [self-attention, feed-forward], each with a residual connection, then the final
 * RMS norm. The relative position bias (bidirectional, block 0's table) and the key mask are summed once into
 * one [B, H, L, L] bias shared by every layer, as HF does.
 */
public final class EncoderStack {

  /** One encoder block. */
  public record Block(RmsNorm attentionNorm, Attention selfAttention, RmsNorm ffNorm, FeedForward feedForward) {
    NDArray forward(NDArray h, NDArray bias) {
      h = h.add(selfAttention.selfAttention(attentionNorm.forward(h), bias));
      return h.add(feedForward.forward(ffNorm.forward(h)));
    }
  }

  private final List<Block> blocks;
  private final RelativePositionBias positionBias;
  private final RmsNorm finalNorm;

  public EncoderStack(List<Block> blocks, RelativePositionBias positionBias, RmsNorm finalNorm) {
    this.blocks = List.copyOf(blocks);
    this.positionBias = positionBias;
    this.finalNorm = finalNorm;
  }

  /**
   * @param embeds       inputs_embeds [B, L, d]
   * @param additiveMask [B, 1, 1, L]: 0 for real positions, finfo.min for padding
   * @param hiddenStates when not null, receives HF's encoder_hidden_states: the input of every block, then the
   *                     final-norm output
   */
  public NDArray forward(NDArray embeds, NDArray additiveMask, List<NDArray> hiddenStates) {
    int l = (int) embeds.getShape().get(1);
    NDManager m = embeds.getManager();
    NDArray bias = positionBias.compute(m, 0, l, l).add(additiveMask); // [B, H, L, L]
    NDArray h = embeds;
    for (Block block : blocks) {
      if (hiddenStates != null) {
        hiddenStates.add(h);
      }
      h = block.forward(h, bias);
    }
    h = finalNorm.forward(h);
    if (hiddenStates != null) {
      hiddenStates.add(h);
    }
    return h;
  }
}
