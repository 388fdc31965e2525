package io.promptune.runtime.service;

/** Per-request limits (see {@link RuntimeConfig}); violations answer with the key that raises them. */
public record Limits(int maxInputTokens, int maxTargetTokens, int maxPromptLength, int maxBatchExamples,
    long maxRequestTokens, int maxBeams) {

  public Limits {
    if (maxInputTokens < 2 || maxTargetTokens < 1 || maxPromptLength < 1 || maxBatchExamples < 1
        || maxRequestTokens < 1 || maxBeams < 1) {
      throw new IllegalArgumentException("runtime limits must be positive (max-input-tokens >= 2): " + this);
    }
  }

  public static Limits from(RuntimeConfig c) {
    return new Limits(c.maxInputTokens(), c.maxTargetTokens(), c.maxPromptLength(), c.maxBatchExamples(),
        c.maxRequestTokens(), c.maxBeams());
  }
}
