package io.promptune.runtime.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.runtime.engine.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The facts of a T5 {@code config.json} that the model needs, with Hugging Face {@code T5Config}'s defaults and
 * derivations.
 *
 * <ul>
 *   <li>{@code num_decoder_layers} defaults to {@code num_layers}.
 *   <li>{@code tie_word_embeddings} defaults to {@code true} (it is omitted from v1.0 configs because it is the
 *       default).
 *   <li>{@code feed_forward_proj} "relu" / "gated-gelu" / "gated-&lt;act&gt;": {@code is_gated_act} is whether it
 *       starts with "gated-", the activation is its last part, and "gated-gelu" means {@code gelu_new} (tanh
 *       approximation). As in HF, explicit {@code dense_act_fn} / {@code is_gated_act} keys override the
 *       derivation.
 * </ul>
 *
 * @param activation one of {@link #SUPPORTED_ACTIVATIONS}
 * @param modelIdHint "generated:&lt;name&gt;" for checkpoints written by {@link GeneratedCheckpoint}, else null
 */
public record T5Config(String architecture, int vocabSize, int dModel, int dKv, int dFf, int numLayers,
    int numDecoderLayers, int numHeads, int relativeAttentionNumBuckets, int relativeAttentionMaxDistance,
    double layerNormEpsilon, String feedForwardProj, String activation, boolean gatedAct, boolean tieWordEmbeddings,
    int padTokenId, int eosTokenId, int decoderStartTokenId, String modelIdHint) {

  /** Activations the FFN implements: relu, gelu_new (tanh approximation), gelu (erf), silu. */
  public static final java.util.Set<String> SUPPORTED_ACTIVATIONS =
      java.util.Set.of("relu", "gelu_new", "gelu_pytorch_tanh", "gelu", "silu", "swish");

  /** Config key that {@link GeneratedCheckpoint} writes so the engine can report "generated:&lt;name&gt;". */
  public static final String GENERATED_ID_KEY = "promptune_model_id";

  private static final ObjectMapper JSON = new ObjectMapper();

  public T5Config {
    require(vocabSize > 0, "vocab_size must be positive, got " + vocabSize);
    require(dModel > 0, "d_model must be positive, got " + dModel);
    require(dKv > 0, "d_kv must be positive, got " + dKv);
    require(dFf > 0, "d_ff must be positive, got " + dFf);
    require(numHeads > 0, "num_heads must be positive, got " + numHeads);
    require(numLayers > 0, "num_layers must be positive, got " + numLayers);
    require(numDecoderLayers > 0, "num_decoder_layers must be positive, got " + numDecoderLayers);
    require(relativeAttentionNumBuckets >= 2, "relative_attention_num_buckets must be >= 2");
    require(relativeAttentionMaxDistance > 0, "relative_attention_max_distance must be positive");
    require(layerNormEpsilon > 0 && Double.isFinite(layerNormEpsilon), "layer_norm_epsilon must be positive");
    require(SUPPORTED_ACTIVATIONS.contains(activation),
        "unsupported activation '" + activation + "' (feed_forward_proj '" + feedForwardProj + "'); supported: "
            + SUPPORTED_ACTIVATIONS);
    require(padTokenId >= 0 && padTokenId < vocabSize, "pad_token_id out of range: " + padTokenId);
    require(eosTokenId >= 0 && eosTokenId < vocabSize, "eos_token_id out of range: " + eosTokenId);
    require(decoderStartTokenId >= 0 && decoderStartTokenId < vocabSize,
        "decoder_start_token_id out of range: " + decoderStartTokenId);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("config.json: " + message);
    }
  }

  /** Inner dimension of attention: num_heads * d_kv. */
  public int innerDim() {
    return numHeads * dKv;
  }

  /** Reads {@code config.json} (a file, or a checkpoint directory holding one). */
  public static T5Config read(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "T5 checkpoint has no config.json");
    }
    try {
      return parse(Files.readString(file));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Parses the text of a {@code config.json}. */
  public static T5Config parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("config.json is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("config.json must be a JSON object");
    }
    String modelType = text(root, "model_type", "t5").toLowerCase(Locale.ROOT);
    if (!modelType.equals("t5") && !modelType.equals("mt5")) {
      // umt5 (per-layer relative bias), longt5 (local attention) etc. compute differently
      throw new IllegalArgumentException("config.json: model_type '" + modelType
          + "' is not supported; this runtime implements T5 / mT5 / ByT5 (model_type t5 or mt5)");
    }
    String architecture = "T5ForConditionalGeneration";
    JsonNode archs = root.get("architectures");
    if (archs != null && archs.isArray() && !archs.isEmpty()) {
      architecture = archs.get(0).asText();
    }
    int numLayers = integer(root, "num_layers", 6);
    JsonNode ndl = root.get("num_decoder_layers");
    int numDecoderLayers = ndl == null || ndl.isNull() ? numLayers : ndl.asInt();

    String ffp = text(root, "feed_forward_proj", "relu");
    String[] actInfo = ffp.split("-");
    if ((actInfo.length > 1 && !actInfo[0].equals("gated")) || actInfo.length > 2) {
      throw new IllegalArgumentException("config.json: feed_forward_proj '" + ffp
          + "' is not valid; use 'gated-{ACT_FN}' or '{ACT_FN}', e.g. 'gated-gelu' or 'relu'");
    }
    String act = actInfo[actInfo.length - 1];
    boolean gated = actInfo[0].equals("gated");
    if (ffp.equals("gated-gelu")) {
      act = "gelu_new";
    }
    if (root.hasNonNull("dense_act_fn")) {
      act = root.get("dense_act_fn").asText();
    }
    if (root.hasNonNull("is_gated_act")) {
      gated = root.get("is_gated_act").asBoolean();
    }
    boolean tie = !root.hasNonNull("tie_word_embeddings") || root.get("tie_word_embeddings").asBoolean();
    int pad = integer(root, "pad_token_id", 0);
    int eos = firstInt(root.get("eos_token_id"), 1);
    JsonNode dst = root.get("decoder_start_token_id");
    int start = dst == null || dst.isNull() ? pad : dst.asInt();
    String hint = root.hasNonNull(GENERATED_ID_KEY) ? root.get(GENERATED_ID_KEY).asText() : null;
    return new T5Config(architecture, integer(root, "vocab_size", 32128), integer(root, "d_model", 512),
        integer(root, "d_kv", 64), integer(root, "d_ff", 2048), numLayers, numDecoderLayers,
        integer(root, "num_heads", 8), integer(root, "relative_attention_num_buckets", 32),
        integer(root, "relative_attention_max_distance", 128), number(root, "layer_norm_epsilon", 1e-6), ffp, act,
        gated, tie, pad, eos, start, hint);
  }

  /** The engine API's view of this config. */
  public ModelSpec toSpec() {
    return new ModelSpec(architecture, dModel, dKv, dFf, numHeads, numLayers, numDecoderLayers, vocabSize,
        relativeAttentionNumBuckets, relativeAttentionMaxDistance, layerNormEpsilon, gatedAct, tieWordEmbeddings,
        padTokenId, eosTokenId, decoderStartTokenId);
  }

  private static String text(JsonNode root, String key, String dflt) {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? dflt : n.asText();
  }

  private static int integer(JsonNode root, String key, int dflt) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new IllegalArgumentException("config.json: " + key + " must be an integer, got " + n);
    }
    return n.intValue();
  }

  private static double number(JsonNode root, String key, double dflt) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isNumber()) {
      throw new IllegalArgumentException("config.json: " + key + " must be a number, got " + n);
    }
    return n.doubleValue();
  }

  private static int firstInt(JsonNode n, int dflt) {
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (n.isArray()) {
      return n.isEmpty() ? dflt : n.get(0).asInt();
    }
    return n.asInt();
  }
}
