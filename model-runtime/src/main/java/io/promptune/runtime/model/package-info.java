/**
 * T5 on DJL NDArrays (PyTorch engine), one class per concept as in Hugging Face's modeling_t5.py:
 * {@link io.promptune.runtime.model.RmsNorm}, {@link io.promptune.runtime.model.RelativePositionBias},
 * {@link io.promptune.runtime.model.Attention}, {@link io.promptune.runtime.model.FeedForward},
 * {@link io.promptune.runtime.model.EncoderStack} / {@link io.promptune.runtime.model.DecoderStack} and
 * {@link io.promptune.runtime.model.T5Model}; {@link io.promptune.runtime.model.EncoderInputs} lays out per-example
 * soft prompts. Weights are never the first operand of an op, so results land in the caller's per-call manager.
 */
package io.promptune.runtime.model;
