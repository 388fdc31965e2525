package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.promptune.common.safetensors.TensorData;
import io.promptune.runtime.load.T5Checkpoint;
import io.promptune.runtime.load.T5Config;
import io.promptune.runtime.load.T5TensorNames;
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
  private final DataType weightDtype;
  private final NDArray shared; // [V, d]
  private final NDArray lmHead; // [V, d] (== shared when tied)
  private final double headScale;
  private final EncoderStack encoder;
  private final DecoderStack decoder;
  private final NDArray sharedRowNorms; // [V], for cosine similarity

  private T5Model(T5Config config, DataType dtype, DataType weightDtype, NDArray shared, NDArray lmHead,
      EncoderStack encoder, DecoderStack decoder, NDArray sharedRowNorms) {
    this.config = config;
    this.dtype = dtype;
    this.weightDtype = weightDtype;
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
    return load(ckpt, weights, dtype, dtype);
  }

  /**
   * Builds the model with its weight matrices (embedding, LM head, every projection) held in
   * {@code weightDtype}: equal to {@code dtype}, or FLOAT16 with a FLOAT32 {@code dtype}. Half weights:
   * projections cast their float32 input to the weight dtype and the result back ({@link Ops#linear}); embedding
   * rows are returned in float32; the norm weights and relative position bias tables stay float32. (BFLOAT16 is
   * refused: DJL 0.35's PyTorch JNI has no bfloat16 dtype.)
   */
  public static T5Model load(T5Checkpoint ckpt, NDManager weights, DataType dtype, DataType weightDtype) {
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
      throw new IllegalArgumentException("compute dtype must be FLOAT32 or FLOAT64, got " + dtype);
    }
    if (weightDtype != dtype && !(dtype == DataType.FLOAT32 && weightDtype == DataType.FLOAT16)) {
      // BFLOAT16 included: DJL 0.35's PyTorch JNI aborts the process on any bfloat16 dtype argument
      throw new IllegalArgumentException("weight dtype " + weightDtype + " is not supported with compute dtype "
          + dtype + " (use the compute dtype, or FLOAT16 with FLOAT32)");
    }
    T5Config c = ckpt.config();
    Map<String, TensorData> t = ckpt.tensors();
    try (NDManager scratch = weights.newSubManager()) {
      Loader ld = new Loader(t, weights, scratch, dtype, weightDtype);
      NDArray shared = ld.matrix(T5TensorNames.SHARED);
      NDArray head = c.tieWordEmbeddings() ? shared : ld.matrix(T5TensorNames.LM_HEAD);
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
      NDArray norms;
      if (weightDtype == dtype) {
        NDArray rawNorms = shared.norm(new int[] {1}, false); // [V], in weights (load time only, no autograd)
        norms = rawNorms.maximum(1e-8);
        rawNorms.close();
      } else { // norms of the rounded rows, taken in the compute dtype
        NDArray wide = ld.raw(T5TensorNames.SHARED, scratch).toType(weightDtype, false).toType(dtype, false);
        norms = wide.norm(new int[] {1}, false).maximum(1e-8);
        norms.attach(weights);
      }
      return new T5Model(c, dtype, weightDtype, shared, head, encoder, decoder, norms);
    }
  }

  private static Attention selfAttention(Loader ld, String p, T5Config c) {
    NDArray qkv = ld.fused(p + "q.weight", p + "k.weight", p + "v.weight");
    return Attention.self(qkv, ld.matrix(p + "o.weight"), c.numHeads(), c.dKv());
  }

  /** Cross-attention's q and o; its k/v are fused across all layers in {@link DecoderStack}. */
  private static Attention crossAttention(Loader ld, String p, T5Config c) {
    return Attention.cross(ld.matrix(p + "q.weight"), ld.matrix(p + "o.weight"), c.numHeads(), c.dKv());
  }

  private static FeedForward feedForward(Loader ld, String p, T5Config c) {
    NDArray wi = c.gatedAct() ? ld.fused(p + "wi_0.weight", p + "wi_1.weight") : ld.matrix(p + "wi.weight");
    return new FeedForward(wi, ld.matrix(p + "wo.weight"), c.gatedAct(), c.activation());
  }

  /**
   * Creates weight arrays: wraps the loaded buffers, converts dtype, fuses projections. {@link #keep} (norm
   * weights, position bias tables) uses the compute dtype, {@link #matrix} and {@link #fused} the weight dtype.
   */
  private record Loader(Map<String, TensorData> tensors, NDManager weights, NDManager scratch, DataType dtype,
      DataType weightDtype) {
    private NDArray raw(String name, NDManager m) {
      TensorData t = tensors.get(name);
      if (t == null) {
        throw new IllegalArgumentException("checkpoint has no tensor '" + name + "'");
      }
      return m.create(t.buffer(), new Shape(t.shape()), DataType.FLOAT32);
    }

    NDArray keep(String name) {
      return keep(name, dtype);
    }

    NDArray matrix(String name) {
      return keep(name, weightDtype);
    }

    private NDArray keep(String name, DataType type) {
      NDArray a = raw(name, type == DataType.FLOAT32 ? weights : scratch);
      if (type != DataType.FLOAT32) {
        a = a.toType(type, false);
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
      if (weightDtype != DataType.FLOAT32) {
        cat = cat.toType(weightDtype, false);
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

  /** The dtype the weight matrices are held in: {@link #dtype()}, or FLOAT16 with FLOAT32 compute. */
  public DataType weightDtype() {
    return weightDtype;
  }

  public int numDecoderLayers() {
    return decoder.numLayers();
  }

  /** shared[ids]: ids int64 [...] → [..., d], in ids' manager. */
  public NDArray embed(NDArray ids) {
    NDArray rows = Ops.embedding(ids, shared);
    return weightDtype == dtype ? rows : rows.toType(dtype, false);
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
