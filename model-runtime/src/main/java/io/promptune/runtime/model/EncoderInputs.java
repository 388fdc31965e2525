package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Builds the encoder's inputs_embeds for a batch where every row may carry its own soft prompt (or none), of
 * possibly different lengths: row b is laid out as [its prompt rows][its token embeddings][right padding], and
 * the key mask covers exactly the prompt and token positions. Because T5's position information is only the
 * relative bias, this row is computed exactly as if it ran alone.
 *
 * <p>All rows come from one gather over {@code concat(P_used..., shared[token ids])}, so the gradient flows back
 * to every prompt in one pass and the hot path has no per-example loop over arrays.
 *
 * @param embeds       inputs_embeds [B, L, d]
 * @param additiveMask [B, 1, 1, L], 0 for real positions and finfo.min for padding
 * @param lengths      per row, prompt length + token count
 * @param promptLengths per row, prompt length (0 without a prompt)
 */
public record EncoderInputs(NDArray embeds, NDArray additiveMask, int[] lengths, int[] promptLengths) {

  public int maxLength() {
    return (int) embeds.getShape().get(1);
  }

  /**
   * @param prompts     per prompt index, the array [p, d] (in the call's manager, possibly requiring gradient), or
   *                    null for prompts no row uses
   * @param tokenIds    per row, the encoder token ids (already validated)
   * @param promptIndex per row, an index into {@code prompts}, or -1
   */
  public static EncoderInputs build(T5Model model, NDManager m, List<NDArray> prompts, int[][] tokenIds,
      int[] promptIndex) {
    int b = tokenIds.length;
    int s = 1;
    for (int[] ids : tokenIds) {
      s = Math.max(s, ids.length);
    }
    long[] tok = new long[b * s];
    for (int r = 0; r < b; r++) {
      for (int j = 0; j < tokenIds[r].length; j++) {
        tok[r * s + j] = tokenIds[r][j];
      }
      for (int j = tokenIds[r].length; j < s; j++) {
        tok[r * s + j] = model.config().padTokenId();
      }
    }
    int[] promptLengths = new int[b];
    int[] lengths = new int[b];
    int[] promptOffset = new int[prompts.size()];
    NDList used = new NDList();
    int rowsOfPrompts = 0;
    boolean[] seen = new boolean[prompts.size()];
    for (int r = 0; r < b; r++) {
      int pi = promptIndex[r];
      if (pi >= 0) {
        NDArray p = prompts.get(pi);
        if (!seen[pi]) {
          seen[pi] = true;
          promptOffset[pi] = rowsOfPrompts;
          rowsOfPrompts += (int) p.getShape().get(0);
          used.add(p);
        }
        promptLengths[r] = (int) p.getShape().get(0);
      }
      lengths[r] = promptLengths[r] + tokenIds[r].length;
    }
    int l = 1;
    for (int len : lengths) {
      l = Math.max(l, len);
    }
    NDArray embeds;
    if (used.isEmpty()) {
      embeds = model.embed(m.create(tok, new Shape(b, s))); // [B, S, d], L == S
      l = s;
    } else {
      NDArray tokEmb = model.embed(m.create(tok, new Shape((long) b * s))); // [B*S, d]
      NDArray promptRows = used.size() == 1 ? used.get(0) : NDArrays.concat(used, 0); // [R, d]
      NDArray source = promptRows.concat(tokEmb, 0); // [R + B*S, d]
      long[] index = new long[b * l];
      for (int r = 0; r < b; r++) {
        int p = promptLengths[r];
        int n = tokenIds[r].length;
        long tokBase = rowsOfPrompts + (long) r * s;
        for (int j = 0; j < l; j++) {
          long at;
          if (j < p) {
            at = promptOffset[promptIndex[r]] + j;
          } else if (j < p + n) {
            at = tokBase + (j - p);
          } else {
            at = tokBase + Math.min(n, s - 1); // a pad token's embedding; masked as a key
          }
          index[r * l + j] = at;
        }
      }
      embeds = Ops.embedding(m.create(index, new Shape(b, l)), source); // [B, L, d]
    }
    double min = Ops.finfoMin(model.dtype());
    double[] mask = new double[b * l];
    for (int r = 0; r < b; r++) {
      for (int j = lengths[r]; j < l; j++) {
        mask[r * l + j] = min;
      }
    }
    NDArray additive = Ops.doubles(m, mask, new Shape(b, 1, 1, l), model.dtype());
    return new EncoderInputs(embeds, additive, lengths, promptLengths);
  }
}
