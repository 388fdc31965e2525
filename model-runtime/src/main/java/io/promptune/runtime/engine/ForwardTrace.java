package io.promptune.runtime.engine;

import java.util.List;

/**
 * Everything a teacher-forced forward pass computed, for diagnostics and golden tests. Arrays are row-major
 * float32.
 *
 * @param result               what {@link T5Engine#forwardBackward} returns for the same call
 * @param encoderLength        L: the padded encoder length (prompt + tokens)
 * @param decoderLength        T: the padded target length
 * @param encoderLengths       per example, its real encoder length
 * @param encoderHiddenStates  Hugging Face's encoder_hidden_states: embeddings, each block's output but the last,
 *                             then the final-norm output; each [B, L, d]
 * @param decoderHiddenStates  the same for the decoder; each [B, T, d] (the last before the tied scaling)
 * @param logits               [B, T, V]
 */
public record ForwardTrace(ForwardBackwardResult result, int encoderLength, int decoderLength, int[] encoderLengths,
    List<float[]> encoderHiddenStates, List<float[]> decoderHiddenStates, float[] logits) {}
