package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;

/**
 * @param hidden       encoder output after the final layer norm [E, L, d]
 * @param additiveMask key mask [E, 1, 1, L]: 0 for real positions, finfo.min for padding; used by the decoder's
 *                     cross-attention
 */
public record EncoderOutput(NDArray hidden, NDArray additiveMask) {}
