package io.promptune.runtime.load;

import java.util.Map;
import java.util.TreeMap;

/** The parameter names and shapes Hugging Face's {@code T5ForConditionalGeneration} stores for a config. */
public final class T5TensorNames {

  public static final String SHARED = "shared.weight";
  public static final String LM_HEAD = "lm_head.weight";
  /** Aliases of {@code shared.weight} that some checkpoints also store. */
  public static final String ENCODER_EMBED = "encoder.embed_tokens.weight";
  public static final String DECODER_EMBED = "decoder.embed_tokens.weight";

  private T5TensorNames() {}

  public static String block(String stack, int i) {
    return stack + ".block." + i + ".layer.";
  }

  public static String relativeBias(String stack) {
    return block(stack, 0) + "0.SelfAttention.relative_attention_bias.weight";
  }

  /** Every parameter the model uses, by name (sorted), with its torch shape. */
  public static Map<String, long[]> expected(T5Config c) {
    Map<String, long[]> m = new TreeMap<>();
    long d = c.dModel();
    long inner = c.innerDim();
    long ff = c.dFf();
    m.put(SHARED, new long[] {c.vocabSize(), d});
    if (!c.tieWordEmbeddings()) {
      m.put(LM_HEAD, new long[] {c.vocabSize(), d});
    }
    for (String stack : new String[] {"encoder", "decoder"}) {
      boolean dec = stack.equals("decoder");
      int layers = dec ? c.numDecoderLayers() : c.numLayers();
      m.put(relativeBias(stack), new long[] {c.relativeAttentionNumBuckets(), c.numHeads()});
      for (int i = 0; i < layers; i++) {
        String b = block(stack, i);
        attention(m, b + "0.SelfAttention.", d, inner);
        m.put(b + "0.layer_norm.weight", new long[] {d});
        int ffLayer = 1;
        if (dec) {
          attention(m, b + "1.EncDecAttention.", d, inner);
          m.put(b + "1.layer_norm.weight", new long[] {d});
          ffLayer = 2;
        }
        String f = b + ffLayer + ".DenseReluDense.";
        if (c.gatedAct()) {
          m.put(f + "wi_0.weight", new long[] {ff, d});
          m.put(f + "wi_1.weight", new long[] {ff, d});
        } else {
          m.put(f + "wi.weight", new long[] {ff, d});
        }
        m.put(f + "wo.weight", new long[] {d, ff});
        m.put(b + ffLayer + ".layer_norm.weight", new long[] {d});
      }
      m.put(stack + ".final_layer_norm.weight", new long[] {d});
    }
    return m;
  }

  private static void attention(Map<String, long[]> m, String p, long d, long inner) {
    m.put(p + "q.weight", new long[] {inner, d});
    m.put(p + "k.weight", new long[] {inner, d});
    m.put(p + "v.weight", new long[] {inner, d});
    m.put(p + "o.weight", new long[] {d, inner});
  }
}
