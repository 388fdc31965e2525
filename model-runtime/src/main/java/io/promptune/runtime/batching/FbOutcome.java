package io.promptune.runtime.batching;

import java.util.List;

/**
 * One caller's ForwardBackward result.
 *
 * @param loss            the caller's mean token NLL (sum of its examples' NLL / its target tokens)
 * @param exampleSumNll   per example of the caller, in its order
 * @param promptGradients per prompt of the caller, d loss / d P row-major; empty when not requested
 */
public record FbOutcome(double loss, int numTargetTokens, double[] exampleSumNll, int[] exampleTokens,
    List<float[]> promptGradients) {}
