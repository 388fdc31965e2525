package io.promptune.runtime.tokenizer;

import io.promptune.runtime.engine.TextTokenizer;
import io.promptune.runtime.load.T5Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Picks a checkpoint's tokenizer. */
public final class Tokenizers {

  /** Checkpoints with at most this vocabulary and no tokenizer.json are byte-level (ByT5 uses 384). */
  public static final int MAX_BYTE_VOCAB = 384;

  private Tokenizers() {}

  /**
   * {@code explicitPath} (tokenizer.json or a directory with one) when given; else the checkpoint's own
   * tokenizer.json; else, for a vocabulary of at most 384, the {@link ByteTokenizer}; else an error.
   */
  public static TextTokenizer forCheckpoint(Path checkpointDir, T5Config config, Path explicitPath)
      throws IOException {
    if (explicitPath != null) {
      return SentencePieceTokenizer.load(explicitPath, config.eosTokenId());
    }
    Path own = checkpointDir == null ? null : checkpointDir.resolve("tokenizer.json");
    if (own != null && Files.isRegularFile(own)) {
      return SentencePieceTokenizer.load(own, config.eosTokenId());
    }
    if (config.vocabSize() <= MAX_BYTE_VOCAB) {
      return new ByteTokenizer(config.vocabSize());
    }
    throw new NoSuchFileException(String.valueOf(own), null,
        "checkpoint has no tokenizer.json and its vocabulary (" + config.vocabSize()
            + ") is not byte-level (<= " + MAX_BYTE_VOCAB + "); add tokenizer.json or pass a tokenizer path");
  }
}
