package io.promptune.registry.domain;

/** A deployment stage; promotions climb the positions one at a time (0 = first, e.g. dev). */
public record Environment(String name, int position) {}
