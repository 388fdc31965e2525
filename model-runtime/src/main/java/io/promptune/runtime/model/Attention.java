package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * T5 multi-head attention: no 1/sqrt(d_kv) scaling (the initialisation absorbs it), additive bias (relative
 * position bias and/or key mask with finfo.min), softmax in the activation dtype (float32). Heads are formed
 * by reshape/transpose so every projection is one big matmul over all rows.
 *
 * <p>Self-attention uses one fused [3·inner, d] projection for q, k and v; cross-attention projects q from the
 * decoder, while the k/v of all decoder layers come from one fused projection of the encoder output
 * ({@link DecoderStack#crossKeyValues}, once per call).
 */
public final class Attention {

  private final NDArray wqkv; // self: [3*inner, d]
  private final NDArray wq; // cross: [inner, d]
  private final NDArray wo; // [d, inner]
  private final int heads;
  private final int dKv;

  private Attention(NDArray wqkv, NDArray wq, NDArray wo, int heads, int dKv) {
    this.wqkv = wqkv;
    this.wq = wq;
    this.wo = wo;
    this.heads = heads;
    this.dKv = dKv;
  }

  public static Attention self(NDArray wqkv, NDArray wo, int heads, int dKv) {
    return new Attention(wqkv, null, wo, heads, dKv);
  }

  /** Cross-attention's query and output; its keys and values come from {@link #splitHeads}. */
  public static Attention cross(NDArray wq, NDArray wo, int heads, int dKv) {
    return new Attention(null, wq, wo, heads, dKv);
  }

  private int inner() {
    return heads * dKv;
  }

  /**
   * Full self-attention. x [B, L, d]; bias broadcastable to [B, H, L, L] (position bias + key mask) → [B, L, d].
   */
  public NDArray selfAttention(NDArray x, NDArray bias) {
    long b = x.getShape().get(0);
    long l = x.getShape().get(1);
    // Heads are split off before q/k/v are: [B, L, 3·inner] → [B, L, 3H, dk] (a view) → 3 x [B, L, H, dk] along
    // the head axis. split (not select), so backward concatenates the three gradients instead of zero-filling 3
    // copies; and because the split is on the 4-d view, that concatenation reads the head-transposed gradients
    // in place and writes the [B, L, 3·inner] gradient in one pass (no per-tensor contiguous copy first).
    NDList qkv = Ops.linear(x, wqkv).reshape(b, l, 3L * heads, dKv).split(new long[] {heads, 2L * heads}, 2);
    NDArray q = qkv.get(0).transpose(0, 2, 1, 3); // [B, H, L, dk]
    NDArray k = qkv.get(1).transpose(0, 2, 1, 3);
    NDArray v = qkv.get(2).transpose(0, 2, 1, 3);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(bias); // [B, H, L, L]
    NDArray ctx = scores.softmax(-1).matMul(v); // [B, H, L, dk]
    return Ops.linear(ctx.transpose(0, 2, 1, 3).reshape(b, l, inner()), wo); // [B, L, d]
  }

  /**
   * One decoding step with a KV cache. x [N, 1, d]; pastK/pastV [N, H, t, dk] or null at t = 0;
   * bias [1, H, 1, t+1]. Returns [output [N, 1, d], K [N, H, t+1, dk], V [N, H, t+1, dk]].
   */
  public NDList selfAttentionStep(NDArray x, NDArray pastK, NDArray pastV, NDArray bias) {
    long n = x.getShape().get(0);
    NDList qkv = Ops.linear(x, wqkv).split(new long[] {inner(), 2L * inner()}, 2); // 3 x [N, 1, inner]
    NDArray q = qkv.get(0).reshape(n, heads, 1, dKv); // one position: [N, 1, H, dk] is [N, H, 1, dk]
    NDArray k = qkv.get(1).reshape(n, heads, 1, dKv);
    NDArray v = qkv.get(2).reshape(n, heads, 1, dKv);
    NDArray keys = pastK == null ? Ops.contiguous(k) : pastK.concat(k, 2); // [N, H, t+1, dk]
    NDArray values = pastV == null ? Ops.contiguous(v) : pastV.concat(v, 2);
    NDArray scores = q.matMul(keys.transpose(0, 1, 3, 2)).add(bias); // [N, H, 1, t+1]
    NDArray ctx = scores.softmax(-1).matMul(values); // [N, H, 1, dk]
    NDArray out = Ops.linear(ctx.reshape(n, 1, inner()), wo); // [N, 1, d]
    return new NDList(out, keys, values);
  }

  /**
   * Keys and values for cross-attention from one projection of the encoder output: {@code projected} [E, L,
   * parts·H·dk] → {@code parts} arrays [E, H, L, dk], contiguous. The split is on the [E, L, parts·H, dk] view, so
   * backward concatenates the head-transposed gradients in one pass straight into the projection's gradient.
   */
  static NDList splitHeads(NDArray projected, int parts, int heads, int dKv) {
    long e = projected.getShape().get(0);
    long l = projected.getShape().get(1);
    long[] at = new long[parts - 1];
    for (int i = 1; i < parts; i++) {
      at[i - 1] = (long) i * heads;
    }
    NDList split = projected.reshape(e, l, (long) parts * heads, dKv).split(at, 2); // parts x [E, L, H, dk]
    NDList out = new NDList(parts);
    for (NDArray a : split) {
      out.add(Ops.contiguous(a.transpose(0, 2, 1, 3))); // [E, H, L, dk]
    }
    return out;
  }

  /**
   * Cross-attention where each encoder row serves {@code groups} consecutive decoder rows (candidates of one
   * query, beams of one input): x [E·G, T, d]; k, v [E, H, L, dk]; mask [E, 1, 1, L] additive → [E·G, T, d].
   * The groups are folded into the query axis, so keys and values are never copied per decoder row.
   */
  public NDArray crossAttention(NDArray x, NDArray k, NDArray v, NDArray mask, int groups) {
    long rows = x.getShape().get(0);
    long t = x.getShape().get(1);
    long e = rows / groups;
    NDArray q = Ops.linear(x, wq) // [E*G, T, inner]
        .reshape(e, groups * t, heads, dKv).transpose(0, 2, 1, 3); // [E, H, G*T, dk]
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(mask); // [E, H, G*T, L]
    NDArray ctx = scores.softmax(-1).matMul(v); // [E, H, G*T, dk]
    return Ops.linear(ctx.transpose(0, 2, 1, 3).reshape(rows, t, inner()), wo); // [E*G, T, d]
  }
}
