package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.promptune.runtime.load.T5Checkpoint;
import io.promptune.runtime.load.T5Config;
import io.promptune.runtime.load.T5TensorNames;
import io.promptune.runtime.load.TensorData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * T5ForConditionalGeneration on DJL NDArrays: shared embedding, encoder and decoder stacks, LM head. v1.0 ties
 * the head to {@code shared} and scales the decoder output by d_model^-0.5 first; v1.1 has a separate
 * {@code lm_head} and no scaling.
 *
 * <p>Weights live in the manager given to {@link #load}; they never require gradients. All methods are pure
 * functions of their inputs (no state), so one model serves concurrent calls; every result lives in the
 * manager of the caller's input arrays.
 */
public final class T5Model {

  private final T5Config config;
  private final DataType dtype;
  private final NDArray shared; // [V, d]
  private final NDArray lmHead; // [V, d] (== shared when tied)
  private final double headScale;
  private final EncoderStack encoder;
  private final DecoderStack decoder;
  private final NDArray sharedRowNorms; // [V], for cosine similarity

  private T5Model(T5Config config, DataType dtype, NDArray shared, NDArray lmHead, EncoderStack encoder,
      DecoderStack decoder, NDArray sharedRowNorms) {
    this.config = config;
    this.dtype = dtype;
    this.shared = shared;
    this.lmHead = lmHead;
    this.headScale = config.tieWordEmbeddings() ? Math.pow(config.dModel(), -0.5) : 1.0;
    this.encoder = encoder;
    this.decoder = decoder;
    this.sharedRowNorms = sharedRowNorms;
  }

  /**
   * Builds the model from a loaded checkpoint. {@code dtype} FLOAT32 (the normal mode) or FLOAT64 (for
   * numerical checks). The arrays are created in {@code weights} and stay there.
   */
  public static T5Model load(T5Checkpoint ckpt, NDManager weights, DataType dtype) {
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
      throw new IllegalArgumentException("compute dtype must be FLOAT32 or FLOAT64, got " + dtype);
    }
    T5Config c = ckpt.config();
    Map<String, TensorData> t = ckpt.tensors();
    try (NDManager scratch = weights.newSubManager()) {
      Loader ld = new Loader(t, weights, scratch, dtype);
      NDArray shared = ld.keep(T5TensorNames.SHARED);
      NDArray head = c.tieWordEmbeddings() ? shared : ld.keep(T5TensorNames.LM_HEAD);
      double eps = c.layerNormEpsilon();
      List<EncoderStack.Block> enc = new ArrayList<>();
      for (int i = 0; i < c.numLayers(); i++) {
        String p = T5TensorNames.block("encoder", i);
        enc.add(new EncoderStack.Block(new RmsNorm(ld.keep(p + "0.layer_norm.weight"), eps),
            selfAttention(ld, p + "0.SelfAttention.", c), new RmsNorm(ld.keep(p + "1.layer_norm.weight"), eps),
            feedForward(ld, p + "1.DenseReluDense.", c)));
      }
      List<DecoderStack.Block> dec = new ArrayList<>();
      String[] crossKv = new String[2 * c.numDecoderLayers()];
      for (int i = 0; i < c.numDecoderLayers(); i++) {
        String p = T5TensorNames.block("decoder", i);
        crossKv[2 * i] = p + "1.EncDecAttention.k.weight";
        crossKv[2 * i + 1] = p + "1.EncDecAttention.v.weight";
        dec.add(new DecoderStack.Block(new RmsNorm(ld.keep(p + "0.layer_norm.weight"), eps),
            selfAttention(ld, p + "0.SelfAttention.", c), new RmsNorm(ld.keep(p + "1.layer_norm.weight"), eps),
            crossAttention(ld, p + "1.EncDecAttention.", c), new RmsNorm(ld.keep(p + "2.layer_norm.weight"), eps),
            feedForward(ld, p + "2.DenseReluDense.", c)));
      }
      int nb = c.relativeAttentionNumBuckets();
      int md = c.relativeAttentionMaxDistance();
      EncoderStack encoder = new EncoderStack(enc,
          new RelativePositionBias(ld.keep(T5TensorNames.relativeBias("encoder")), true, nb, md),
          new RmsNorm(ld.keep("encoder.final_layer_norm.weight"), eps));
      DecoderStack decoder = new DecoderStack(dec,
          new RelativePositionBias(ld.keep(T5TensorNames.relativeBias("decoder")), false, nb, md),
          new RmsNorm(ld.keep("decoder.final_layer_norm.weight"), eps), Ops.finfoMin(dtype),
          crossKv.length == 0 ? null : ld.fused(crossKv),
          c.numHeads(), c.dKv());
      NDArray rawNorms = shared.norm(new int[] {1}, false); // [V], in weights (load time only, no autograd)
      NDArray norms = rawNorms.maximum(1e-8);
      rawNorms.close();
      return new T5Model(c, dtype, shared, head, encoder, decoder, norms);
    }
  }

  private static Attention selfAttention(Loader ld, String p, T5Config c) {
    NDArray qkv = ld.fused(p + "q.weight", p + "k.weight", p + "v.weight");
    return Attention.self(qkv, ld.keep(p + "o.weight"), c.numHeads(), c.dKv());
  }

  /** Cross-attention's q and o; its k/v are fused across all layers in {@link DecoderStack}. */
  private static Attention crossAttention(Loader ld, String p, T5Config c) {
    return Attention.cross(ld.keep(p + "q.weight"), ld.keep(p + "o.weight"), c.numHeads(), c.dKv());
  }

  private static FeedForward feedForward(Loader ld, String p, T5Config c) {
    NDArray wi = c.gatedAct() ? ld.fused(p + "wi_0.weight", p + "wi_1.weight") : ld.keep(p + "wi.weight");
    return new FeedForward(wi, ld.keep(p + "wo.weight"), c.gatedAct(), c.activation());
  }

  /** Creates weight arrays: wraps the loaded buffers, converts dtype, fuses projections. */
  private record Loader(Map<String, TensorData> tensors, NDManager weights, NDManager scratch, DataType dtype) {
    private NDArray raw(String name, NDManager m) {
      TensorData t = tensors.get(name);
      if (t == null) {
        throw new IllegalArgumentException("checkpoint has no tensor '" + name + "'");
      }
      return m.create(t.buffer(), new Shape(t.shape()), DataType.FLOAT32);
    }

    NDArray keep(String name) {
      NDArray a = raw(name, dtype == DataType.FLOAT32 ? weights : scratch);
      if (dtype != DataType.FLOAT32) {
        a = a.toType(dtype, false);
        a.attach(weights);
      }
      return a;
    }

    NDArray fused(String... names) {
      NDList parts = new NDList();
      for (String n : names) {
        parts.add(raw(n, scratch));
      }
      NDArray cat = ai.djl.ndarray.NDArrays.concat(parts, 0);
      if (dtype != DataType.FLOAT32) {
        cat = cat.toType(dtype, false);
      }
      cat.attach(weights);
      return cat;
    }
  }

  public T5Config config() {
    return config;
  }

  public DataType dtype() {
    return dtype;
  }

  public int numDecoderLayers() {
    return decoder.numLayers();
  }

  /** shared[ids]: ids int64 [...] → [..., d], in ids' manager. */
  public NDArray embed(NDArray ids) {
    return Ops.embedding(ids, shared);
  }

  /** The shared embedding matrix [V, d] (read-only use; never the first operand of an op). */
  public NDArray sharedEmbedding() {
    return shared;
  }

  /** L2 norm of every row of shared, clamped below at 1e-8 [V] (use as a second operand only). */
  public NDArray sharedRowNorms() {
    return sharedRowNorms;
  }

  /** Encoder over inputs_embeds [B, L, d] with additive key mask [B, 1, 1, L]. */
  public EncoderOutput encode(NDArray inputsEmbeds, NDArray additiveMask, List<NDArray> hiddenStates) {
    return new EncoderOutput(encoder.forward(inputsEmbeds, additiveMask, hiddenStates), additiveMask);
  }

  /** Per decoder layer [K, V] of cross-attention, each [E, H, L, dk]. */
  public NDList[] crossKeyValues(EncoderOutput enc) {
    return decoder.crossKeyValues(enc.hidden());
  }

  /**
   * Teacher-forced decoder: decoder_input_ids [E·G, T] → final-norm hidden [E·G, T, d] (before the tied
   * scaling). Each encoder row serves {@code groups} consecutive decoder rows.
   */
  public NDArray decode(NDArray decoderInputIds, EncoderOutput enc, NDList[] cross, int groups,
      List<NDArray> hiddenStates) {
    return decoder.forward(embed(decoderInputIds), cross, enc.additiveMask(), groups, hiddenStates);
  }

  /** LM head: hidden [..., d] → logits [..., V] (tied: scaled by d_model^-0.5 first). */
  public NDArray logits(NDArray decoderHidden) {
    NDArray h = headScale == 1.0 ? decoderHidden : decoderHidden.mul(Ops.scalar(decoderHidden, headScale));
    return Ops.linear(h, lmHead);
  }

  /** Starts incremental decoding over an encoder output (cross K/V computed here, once). */
  public DecoderState startDecoding(EncoderOutput enc, NDList[] cross, int groups) {
    return decoder.start(cross, enc.additiveMask(), groups);
  }

  /** One incremental step: newest token of each row, int64 [N] → logits [N, V]. */
  public NDArray decodeStep(DecoderState state, NDArray tokens) {
    long n = tokens.getShape().get(0);
    NDArray h = decoder.step(state, embed(tokens.reshape(n, 1)));
    return logits(h).reshape(n, config.vocabSize());
  }
}
