package io.promptune.runtime.service;

import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.Truncation;
import io.promptune.runtime.engine.ModelSpec;
import io.promptune.runtime.engine.TextTokenizer;
import java.util.Arrays;

/**
 * Turns request {@link Text} into token ids: text is tokenized with EOS appended, ids are checked against the
 * vocabulary and used as given. Enforces the per-example token limits.
 */
public final class InputEncoder {

  /** Ids of one input; {@code truncated} when it was cut to the limit. */
  public record Encoded(int[] ids, boolean truncated) {}

  private final TextTokenizer tokenizer;
  private final ModelSpec spec;
  private final Limits limits;

  public InputEncoder(TextTokenizer tokenizer, ModelSpec spec, Limits limits) {
    this.tokenizer = tokenizer;
    this.spec = spec;
    this.limits = limits;
  }

  /** An encoder input: over the limit it is rejected, or cut to (limit - 1) tokens + EOS with TRUNCATE. */
  public Encoded input(Text text, String field, Truncation truncation) {
    int[] ids = ids(text, field);
    int limit = limits.maxInputTokens();
    if (ids.length <= limit) {
      return new Encoded(ids, false);
    }
    if (truncation == Truncation.TRUNCATE) {
      int[] cut = Arrays.copyOf(ids, limit);
      cut[limit - 1] = spec.eosTokenId();
      return new Encoded(cut, true);
    }
    throw Errors.invalid(ErrorReason.INPUT_TOO_LONG, field, "input has " + ids.length + " tokens, over the limit of "
        + limit + " (promptune.runtime.max-input-tokens); shorten it or set truncation = TRUNCATE");
  }

  /** A target or candidate: never truncated (that would change what is scored). */
  public int[] target(Text text, String field) {
    int[] ids = ids(text, field);
    if (ids.length > limits.maxTargetTokens()) {
      throw Errors.invalid(ErrorReason.INPUT_TOO_LONG, field, "target has " + ids.length
          + " tokens, over the limit of " + limits.maxTargetTokens() + " (promptune.runtime.max-target-tokens); "
          + "shorten it");
    }
    return ids;
  }

  private int[] ids(Text text, String field) {
    switch (text.getValueCase()) {
      case TEXT -> {
        if (text.getText().isEmpty()) {
          throw Errors.invalid(ErrorReason.EMPTY_INPUT, field, "text is empty; give at least one character");
        }
        return tokenizer.encode(text.getText(), true).ids();
      }
      case IDS -> {
        int[] ids = text.getIds().getIdsList().stream().mapToInt(Integer::intValue).toArray();
        if (ids.length == 0) {
          throw Errors.invalid(ErrorReason.EMPTY_INPUT, field, "ids is empty; give at least one token id");
        }
        checkIds(ids, field + ".ids");
        return ids;
      }
      default -> throw Errors.invalid(ErrorReason.EMPTY_INPUT, field, "neither text nor ids is set");
    }
  }

  /** Every id must be in [0, vocab_size). */
  public void checkIds(int[] ids, String field) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= spec.vocabSize()) {
        throw Errors.invalid(ErrorReason.UNKNOWN_TOKEN_ID, field + "[" + i + "]", "token id " + ids[i]
            + " is outside the vocabulary [0, " + spec.vocabSize() + ")");
      }
    }
  }
}
