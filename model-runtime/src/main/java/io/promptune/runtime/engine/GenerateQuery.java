package io.promptune.runtime.engine;

/** One input to decode from; {@code promptIndex} as in {@link Example}. */
public record GenerateQuery(int[] inputIds, int promptIndex) {}
