package io.promptune.runtime.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.runtime.engine.TextTokenizer;
import io.promptune.runtime.model.DjlEnvironment;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * T5's SentencePiece (Unigram) tokenizer, run by the Rust tokenizers library through DJL from
 * {@code tokenizer.json}. EOS is appended by us (the file's post-processor is disabled), so {@code addEos}
 * controls it exactly. Decoding skips the special tokens (pad, eos, unk, sentinels) when asked and applies
 * Hugging Face's {@code clean_up_tokenization_spaces} (on unless a sibling {@code tokenizer_config.json} turns it
 * off). The fingerprint is the sha256 of the tokenizer.json bytes.
 */
public final class SentencePieceTokenizer implements TextTokenizer, AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer tokenizer;
  private final String[] pieces;
  private final boolean[] special;
  private final int eosId;
  private final String eosPiece;
  private final String fingerprint;
  private final boolean cleanUpSpaces;
  private final Path source;

  private SentencePieceTokenizer(HuggingFaceTokenizer tokenizer, String[] pieces, boolean[] special, int eosId,
      String fingerprint, boolean cleanUpSpaces, Path source) {
    this.tokenizer = tokenizer;
    this.pieces = pieces;
    this.special = special;
    this.eosId = eosId;
    this.eosPiece = pieces[eosId];
    this.fingerprint = fingerprint;
    this.cleanUpSpaces = cleanUpSpaces;
    this.source = source;
  }

  /**
   * Loads {@code tokenizer.json} (a file or a directory holding one).
   *
   * @param eosId the model's EOS id (config.json {@code eos_token_id})
   */
  public static SentencePieceTokenizer load(Path path, int eosId) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "tokenizer.json not found");
    }
    byte[] bytes = Files.readAllBytes(file);
    JsonNode root = JSON.readTree(bytes);
    JsonNode model = root.path("model");
    JsonNode vocab = model.path("vocab");
    if (!vocab.isArray()) {
      throw new IOException(file + ": expected a SentencePiece (Unigram) tokenizer.json with a model.vocab list, got "
          + "model type '" + model.path("type").asText("?") + "'");
    }
    int size = vocab.size();
    for (JsonNode t : root.path("added_tokens")) {
      size = Math.max(size, t.path("id").asInt() + 1);
    }
    String[] pieces = new String[size];
    boolean[] special = new boolean[size];
    for (int i = 0; i < vocab.size(); i++) {
      JsonNode entry = vocab.get(i);
      pieces[i] = entry.isArray() ? entry.get(0).asText() : entry.asText();
    }
    for (JsonNode t : root.path("added_tokens")) {
      int id = t.path("id").asInt();
      pieces[id] = t.path("content").asText();
      special[id] = t.path("special").asBoolean(false);
    }
    for (int i = 0; i < size; i++) {
      if (pieces[i] == null) {
        pieces[i] = "";
      }
    }
    if (eosId < 0 || eosId >= size) {
      throw new IOException(file + ": eos id " + eosId + " is outside the tokenizer's vocabulary of " + size);
    }
    boolean cleanUp = true;
    Path cfg = file.resolveSibling("tokenizer_config.json");
    if (Files.isRegularFile(cfg)) {
      JsonNode c = JSON.readTree(cfg.toFile());
      if (c.has("clean_up_tokenization_spaces")) {
        cleanUp = c.get("clean_up_tokenization_spaces").asBoolean(true);
      }
    }
    DjlEnvironment.offline();
    HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes),
        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    return new SentencePieceTokenizer(hf, pieces, special, eosId, Sha256.hex(bytes), cleanUp, file);
  }

  public Path source() {
    return source;
  }

  @Override
  public Encoding encode(String text, boolean addEos) {
    ai.djl.huggingface.tokenizers.Encoding enc = tokenizer.encode(text, false, false);
    long[] raw = enc.getIds();
    String[] toks = enc.getTokens();
    int n = raw.length;
    int[] ids = new int[n + (addEos ? 1 : 0)];
    List<String> out = new ArrayList<>(ids.length);
    for (int i = 0; i < n; i++) {
      ids[i] = Math.toIntExact(raw[i]);
      out.add(toks[i]);
    }
    if (addEos) {
      ids[n] = eosId;
      out.add(eosPiece);
    }
    return new Encoding(ids, List.copyOf(out));
  }

  @Override
  public String decode(int[] ids, boolean skipSpecial) {
    long[] keep = Arrays.stream(ids).filter(id -> id >= 0 && id < pieces.length && !(skipSpecial && special[id]))
        .asLongStream().toArray();
    String text = tokenizer.decode(keep, skipSpecial);
    return cleanUpSpaces ? cleanUp(text) : text;
  }

  /** Hugging Face's clean_up_tokenization: no space before punctuation and English contractions. */
  static String cleanUp(String s) {
    return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
        .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
        .replace(" 're", "'re");
  }

  @Override
  public String piece(int id) {
    if (id < 0) {
      throw new IllegalArgumentException("negative token id " + id);
    }
    return id < pieces.length ? pieces[id] : "";
  }

  /** Whether the id is a special token (pad, eos, unk, sentinels). */
  public boolean isSpecial(int id) {
    return id >= 0 && id < special.length && special[id];
  }

  @Override
  public int vocabSize() {
    return pieces.length;
  }

  @Override
  public String fingerprint() {
    return fingerprint;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
