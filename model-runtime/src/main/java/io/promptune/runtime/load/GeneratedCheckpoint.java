package io.promptune.runtime.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptune.common.safetensors.SafetensorsReader;
import io.promptune.common.safetensors.SafetensorsWriter;
import io.promptune.common.safetensors.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A deterministic, randomly initialised T5 written as a Hugging Face checkpoint ({@code config.json} +
 * {@code model.safetensors}), so the product runs and benchmarks with no download.
 *
 * <p>Every tensor is drawn from its own {@link SplittableRandom} seeded by (seed, tensor name), so the result does
 * not depend on generation order or thread count. Values are approximately normal (sum of four uniforms) with the
 * scales that make a random T5 produce input-dependent outputs: embeddings std 1, relative-attention tables std
 * 0.5, layer norms 1 + 0.1·N, q/k std sqrt(2/sqrt(d_kv))/sqrt(d_model) (raw attention scores of std about 2),
 * other linears std 1.6/sqrt(fan_in), untied lm_head std 1/sqrt(d_model). The config carries
 * {@code "promptune_model_id": "generated:<name>"}, which the engine reports as its model id.
 */
public final class GeneratedCheckpoint {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private GeneratedCheckpoint() {}

  /** The architecture to generate. */
  public record Shape(int vocabSize, int dModel, int dKv, int dFf, int numHeads, int numLayers,
      int numDecoderLayers, String feedForwardProj, boolean tieWordEmbeddings) {

    /**
     * A small ByT5-style model (byte vocabulary of 384, gated-gelu, untied head; d_model 128, 4 heads of 32,
     * d_ff 256, 2 + 2 layers): the product's demo model, served with the byte tokenizer.
     */
    public static Shape byteDemo() {
      return new Shape(384, 128, 32, 256, 4, 2, 2, "gated-gelu", false);
    }

    /** t5-small's shape (v1.0: d_model 512, 6 + 6 layers, 8 heads of 64, d_ff 2048, vocab 32128, ReLU, tied). */
    public static Shape t5Small() {
      return new Shape(32128, 512, 64, 2048, 8, 6, 6, "relu", true);
    }
  }

  /** The config of a generated model. */
  public static T5Config config(String name, Shape s) {
    return T5Config.parse(configJson(name, 0, s).toString());
  }

  private static ObjectNode configJson(String name, long seed, Shape s) {
    boolean gated = s.feedForwardProj().startsWith("gated-");
    ObjectNode c = JSON.createObjectNode();
    c.putArray("architectures").add("T5ForConditionalGeneration");
    c.put("d_ff", s.dFf());
    c.put("d_kv", s.dKv());
    c.put("d_model", s.dModel());
    c.put("decoder_start_token_id", 0);
    c.put("dense_act_fn", s.feedForwardProj().equals("gated-gelu") ? "gelu_new"
        : s.feedForwardProj().substring(s.feedForwardProj().lastIndexOf('-') + 1));
    c.put("dropout_rate", 0.1);
    c.put("eos_token_id", 1);
    c.put("feed_forward_proj", s.feedForwardProj());
    c.put("is_encoder_decoder", true);
    c.put("is_gated_act", gated);
    c.put("layer_norm_epsilon", 1e-6);
    c.put("model_type", "t5");
    c.put("num_decoder_layers", s.numDecoderLayers());
    c.put("num_heads", s.numHeads());
    c.put("num_layers", s.numLayers());
    c.put("pad_token_id", 0);
    c.put("relative_attention_max_distance", 128);
    c.put("relative_attention_num_buckets", 32);
    c.put("tie_word_embeddings", s.tieWordEmbeddings());
    c.put("torch_dtype", "float32");
    c.put("use_cache", true);
    c.put("vocab_size", s.vocabSize());
    c.put(T5Config.GENERATED_ID_KEY, "generated:" + name);
    c.put("promptune_generated_seed", seed);
    return c;
  }

  /** Generates the weights in memory. */
  public static SortedMap<String, TensorData> weights(T5Config config, long seed) {
    Map<String, long[]> expected = T5TensorNames.expected(config);
    Map<String, TensorData> out = new ConcurrentHashMap<>();
    expected.entrySet().parallelStream().forEach(e -> out.put(e.getKey(), tensor(config, seed, e.getKey(), e.getValue())));
    return new TreeMap<>(out);
  }

  /**
   * Writes {@code config.json} and {@code model.safetensors} of a generated model into {@code dir} (created if
   * needed) and returns {@code dir}.
   */
  public static Path write(Path dir, String name, long seed, Shape shape) throws IOException {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("generated model needs a name");
    }
    Files.createDirectories(dir);
    ObjectNode cfgJson = configJson(name, seed, shape);
    T5Config config = T5Config.parse(cfgJson.toString());
    SortedMap<String, TensorData> w = weights(config, seed);
    SafetensorsWriter.writeF32(dir.resolve(SafetensorsReader.SINGLE_FILE), w, Map.of("format", "pt"));
    Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfgJson) + "\n");
    return dir;
  }

  private static TensorData tensor(T5Config c, long seed, String name, long[] shape) {
    int n = Math.toIntExact(TensorData.numElements(shape));
    SplittableRandom rnd = new SplittableRandom(mix(seed, name));
    double mean = 0;
    double std;
    if (name.equals(T5TensorNames.SHARED)) {
      std = 1.0;
    } else if (name.endsWith("relative_attention_bias.weight")) {
      std = 0.5;
    } else if (name.endsWith("layer_norm.weight")) {
      mean = 1.0;
      std = 0.1;
    } else if (name.equals(T5TensorNames.LM_HEAD)) {
      std = 1.0 / Math.sqrt(c.dModel());
    } else if (name.endsWith(".q.weight") || name.endsWith(".k.weight")) {
      std = Math.sqrt(2.0 / Math.sqrt(c.dKv())) / Math.sqrt(c.dModel());
    } else {
      std = 1.6 / Math.sqrt(shape[1]);
    }
    ByteBuffer buf = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    final double sqrt3 = Math.sqrt(3.0);
    for (int i = 0; i < n; i++) {
      double z = (rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 2.0) * sqrt3;
      buf.putFloat(i * 4, (float) (mean + std * z));
    }
    return new TensorData(name, shape, buf, "F32", null);
  }

  private static long mix(long seed, String name) {
    long h = seed * 0x9E3779B97F4A7C15L;
    for (int i = 0; i < name.length(); i++) {
      h = (h ^ name.charAt(i)) * 0x100000001B3L;
    }
    return h ^ (h >>> 31);
  }
}
