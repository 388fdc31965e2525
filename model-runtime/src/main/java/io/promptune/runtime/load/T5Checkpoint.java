package io.promptune.runtime.load;

import io.promptune.common.safetensors.SafetensorsReader;
import io.promptune.common.safetensors.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A T5 checkpoint as loaded: config, the float32 tensors the model uses (under their canonical names) and the
 * weights fingerprint over exactly those tensors.
 *
 * <p>{@code shared.weight} may also come from {@code encoder.embed_tokens.weight} when a checkpoint stores only
 * the alias. Stored tensors the model does not use (embedding aliases, an {@code lm_head.weight} of a tied model)
 * are ignored, as Hugging Face does, and listed in {@link #ignored()}.
 */
public record T5Checkpoint(Path dir, T5Config config, SortedMap<String, TensorData> tensors, String fingerprint,
    List<String> ignored) {

  private static final System.Logger LOG = System.getLogger(T5Checkpoint.class.getName());

  /** Loads {@code config.json} and the safetensors weights of a checkpoint directory. */
  public static T5Checkpoint load(Path dir) throws IOException {
    T5Config config = T5Config.read(dir);
    SortedMap<String, TensorData> all = SafetensorsReader.readCheckpoint(dir);
    return of(dir, config, all);
  }

  /** Validates tensors against a config; {@code dir} is only used in messages. */
  public static T5Checkpoint of(Path dir, T5Config config, Map<String, TensorData> all) {
    Map<String, long[]> expected = T5TensorNames.expected(config);
    SortedMap<String, TensorData> used = new TreeMap<>();
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      String name = e.getKey();
      TensorData t = all.get(name);
      if (t == null && name.equals(T5TensorNames.SHARED)) {
        t = all.get(T5TensorNames.ENCODER_EMBED);
        if (t == null) {
          t = all.get(T5TensorNames.DECODER_EMBED);
        }
        if (t != null) {
          t = new TensorData(T5TensorNames.SHARED, t.shape(), t.buffer(), t.sourceDtype(), t.file());
        }
      }
      if (t == null) {
        missing.add(name);
        continue;
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new IllegalArgumentException(where(dir, t) + "tensor '" + name + "' has shape "
            + Arrays.toString(t.shape()) + " but config.json implies " + Arrays.toString(e.getValue()));
      }
      used.put(name, t);
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("checkpoint " + (dir == null ? "" : dir + " ") + "is missing "
          + missing.size() + " tensor(s) required by config.json (feed_forward_proj '" + config.feedForwardProj()
          + "', tie_word_embeddings " + config.tieWordEmbeddings() + "): " + abbreviate(missing));
    }
    List<String> ignored = new ArrayList<>();
    for (String name : all.keySet()) {
      if (!used.containsKey(name)) {
        ignored.add(name);
      }
    }
    if (!ignored.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, "checkpoint {0}: ignoring {1} unused tensor(s): {2}", dir, ignored.size(),
          abbreviate(ignored));
    }
    return new T5Checkpoint(dir, config, Collections.unmodifiableSortedMap(used), WeightsFingerprint.compute(used),
        List.copyOf(ignored));
  }

  private static String where(Path dir, TensorData t) {
    Path f = t.file() != null ? t.file() : dir;
    return f == null ? "" : f + ": ";
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 8 ? names.toString() : names.subList(0, 8) + " and " + (names.size() - 8) + " more";
  }
}
