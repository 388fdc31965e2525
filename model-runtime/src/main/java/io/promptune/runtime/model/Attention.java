package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * T5 multi-head attention: no 1/sqrt(d_kv) scaling (the initialisation absorbs it), additive bias (relative
 * position bias and/or key mask with finfo.min), softmax in the activation dtype (float32). Heads are formed
 * by reshape/transpose so every projection is one big matmul over all rows.
 *
 * <p>Self-attention uses one fused [3·inner, d] projection for q, k and v; cross-attention projects q from the
 * decoder and a fused [2·inner, d] k/v from the encoder output once per call.
 */
public final class Attention {

  private final NDArray wqkv; // self: [3*inner, d]
  private final NDArray wq; // cross: [inner, d]
  private final NDArray wkv; // cross: [2*inner, d]
  private final NDArray wo; // [d, inner]
  private final int heads;
  private final int dKv;

  private Attention(NDArray wqkv, NDArray wq, NDArray wkv, NDArray wo, int heads, int dKv) {
    this.wqkv = wqkv;
    this.wq = wq;
    this.wkv = wkv;
    this.wo = wo;
    this.heads = heads;
    this.dKv = dKv;
  }

  public static Attention self(NDArray wqkv, NDArray wo, int heads, int dKv) {
    return new Attention(wqkv, null, null, wo, heads, dKv);
  }

  public static Attention cross(NDArray wq, NDArray wkv, NDArray wo, int heads, int dKv) {
    return new Attention(null, wq, wkv, wo, heads, dKv);
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
    // split (not select) so that backward concatenates the three gradients instead of zero-filling 3 copies
    NDList qkv = Ops.linear(x, wqkv).split(new long[] {inner(), 2L * inner()}, 2); // 3 x [B, L, inner]
    NDArray q = heads(qkv.get(0), b, l); // [B, H, L, dk]
    NDArray k = heads(qkv.get(1), b, l);
    NDArray v = heads(qkv.get(2), b, l);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(bias); // [B, H, L, L]
    NDArray ctx = scores.softmax(-1).matMul(v); // [B, H, L, dk]
    return Ops.linear(ctx.transpose(0, 2, 1, 3).reshape(b, l, inner()), wo); // [B, L, d]
  }

  /** [B, L, inner] → [B, H, L, dk] (a view). */
  private NDArray heads(NDArray x, long b, long l) {
    return x.reshape(b, l, heads, dKv).transpose(0, 2, 1, 3);
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

  /** Cross-attention keys and values from the encoder output [E, L, d]: [K, V], each [E, H, L, dk] contiguous. */
  public NDList crossKeyValues(NDArray encoderHidden) {
    long e = encoderHidden.getShape().get(0);
    long l = encoderHidden.getShape().get(1);
    NDList kv = Ops.linear(encoderHidden, wkv).split(new long[] {inner()}, 2); // 2 x [E, L, inner]
    NDArray k = Ops.contiguous(heads(kv.get(0), e, l)); // [E, H, L, dk]
    NDArray v = Ops.contiguous(heads(kv.get(1), e, l));
    return new NDList(k, v);
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
