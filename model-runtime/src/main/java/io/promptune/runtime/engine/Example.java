package io.promptune.runtime.engine;

/**
 * One teacher-forced example. {@code inputIds} are the encoder tokens (EOS included when the text had one);
 * {@code targetIds} are the labels (EOS included); the decoder input is the labels shifted right with the
 * decoder start token. {@code promptIndex} points into the call's prompt list, or is -1 for no prompt.
 */
public record Example(int[] inputIds, int[] targetIds, int promptIndex) {}
