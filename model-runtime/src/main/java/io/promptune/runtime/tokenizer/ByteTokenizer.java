package io.promptune.runtime.tokenizer;

import io.promptune.runtime.engine.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * ByT5's byte-level vocabulary: id = UTF-8 byte + 3; 0 = pad, 1 = eos, 2 = unk; ids from 259 up to the model's
 * vocabulary size are sentinels, {@code <extra_id_0>} being the highest id (as in T5). Text is encoded as raw
 * bytes (special-token text such as "&lt;/s&gt;" is not parsed); decoding drops invalid UTF-8, as Hugging Face's
 * ByT5Tokenizer does ({@code errors="ignore"}).
 */
public final class ByteTokenizer implements TextTokenizer {

  public static final int PAD = 0;
  public static final int EOS = 1;
  public static final int UNK = 2;
  public static final int OFFSET = 3;
  public static final String FINGERPRINT_SOURCE = "byte-level";

  private final int vocabSize;

  /** @param vocabSize the model's vocabulary size (at least 259; ByT5 uses 384) */
  public ByteTokenizer(int vocabSize) {
    if (vocabSize < 256 + OFFSET) {
      throw new IllegalArgumentException("byte tokenizer needs a vocabulary of at least 259, got " + vocabSize);
    }
    this.vocabSize = vocabSize;
  }

  @Override
  public Encoding encode(String text, boolean addEos) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length + (addEos ? 1 : 0)];
    List<String> pieces = new ArrayList<>(ids.length);
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = (bytes[i] & 0xff) + OFFSET;
      pieces.add(piece(ids[i]));
    }
    if (addEos) {
      ids[bytes.length] = EOS;
      pieces.add(piece(EOS));
    }
    return new Encoding(ids, List.copyOf(pieces));
  }

  @Override
  public String decode(int[] ids, boolean skipSpecial) {
    StringBuilder out = new StringBuilder();
    ByteArrayOutputStream run = new ByteArrayOutputStream();
    for (int id : ids) {
      if (id >= OFFSET && id < OFFSET + 256) {
        run.write(id - OFFSET);
        continue;
      }
      if (skipSpecial || id < 0 || id >= vocabSize) {
        continue;
      }
      flush(run, out);
      out.append(piece(id));
    }
    flush(run, out);
    return out.toString();
  }

  private static void flush(ByteArrayOutputStream run, StringBuilder out) {
    if (run.size() == 0) {
      return;
    }
    try {
      out.append(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.IGNORE)
          .onUnmappableCharacter(CodingErrorAction.IGNORE).decode(ByteBuffer.wrap(run.toByteArray())));
    } catch (CharacterCodingException e) {
      throw new IllegalStateException(e);
    }
    run.reset();
  }

  @Override
  public String piece(int id) {
    if (id < 0 || id >= vocabSize) {
      throw new IllegalArgumentException("id " + id + " outside the byte vocabulary [0, " + vocabSize + ")");
    }
    return switch (id) {
      case PAD -> "<pad>";
      case EOS -> "</s>";
      case UNK -> "<unk>";
      default -> id < OFFSET + 256 ? String.valueOf((char) (id - OFFSET)) : "<extra_id_" + (vocabSize - 1 - id) + ">";
    };
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public String fingerprint() {
    return Sha256.hex(FINGERPRINT_SOURCE.getBytes(StandardCharsets.UTF_8));
  }
}
