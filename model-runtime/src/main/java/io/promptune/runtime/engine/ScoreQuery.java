package io.promptune.runtime.engine;

import java.util.List;

/** Rank classification: the encoder input and the candidate targets (each with its EOS if text). */
public record ScoreQuery(int[] inputIds, List<int[]> candidates, int promptIndex) {}
