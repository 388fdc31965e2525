package io.promptune.runtime.engine;

/** Per candidate of one query: sum of token log-probabilities and number of tokens. */
public record CandidateScores(double[] sumLogProb, int[] numTokens) {}
