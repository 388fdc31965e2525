package io.promptune.trainer.format;

/** A record in T5 text-to-text form. */
public record TextPair(String input, String target) {}
