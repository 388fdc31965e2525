package io.promptune.runtime.engine;

/**
 * @param tokenIds     generated ids without the decoder start token; the last is EOS when {@code endedWithEos}
 * @param sumLogProb   sum of the log-probabilities of tokenIds
 * @param endedWithEos false when the row stopped at maxNewTokens
 */
public record GenerationResult(int[] tokenIds, double sumLogProb, boolean endedWithEos) {}
