package io.promptune.runtime.engine;

/**
 * The checkpoint's configuration facts (from config.json).
 *
 * @param gatedGelu v1.1 style FFN (wi_0, wi_1, gelu_new); false means ReLU (wi)
 * @param tiedHead  LM head = shared embedding, decoder output scaled by dModel^-0.5 first (v1.0)
 */
public record ModelSpec(String architecture, int dModel, int dKv, int dFf, int numHeads, int numLayers,
    int numDecoderLayers, int vocabSize, int relativeAttentionNumBuckets, int relativeAttentionMaxDistance,
    double layerNormEpsilon, boolean gatedGelu, boolean tiedHead, int padTokenId, int eosTokenId,
    int decoderStartTokenId) {}
