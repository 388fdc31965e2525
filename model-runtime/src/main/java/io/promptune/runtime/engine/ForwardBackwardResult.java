package io.promptune.runtime.engine;

import java.util.List;

/**
 * @param loss            the objective's value: sum over examples of weight * sumNll (with default weights, the
 *                        mean token NLL of the batch)
 * @param numTargetTokens target tokens in the batch
 * @param exampleSumNll   per example, the sum of its token NLLs
 * @param exampleTokens   per example, its number of target tokens
 * @param promptGradients per prompt (same order as the call's prompts), d objective / d P as row-major
 *                        [length, dModel]; null when gradients were not requested
 */
public record ForwardBackwardResult(float loss, int numTargetTokens, double[] exampleSumNll, int[] exampleTokens,
    List<float[]> promptGradients) {}
