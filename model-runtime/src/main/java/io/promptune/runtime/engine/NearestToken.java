package io.promptune.runtime.engine;

public record NearestToken(int tokenId, float cosine) {}
