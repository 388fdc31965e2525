/**
 * Reading Hugging Face T5 checkpoints: {@link io.promptune.runtime.load.T5Config} (config.json with HF's
 * defaults), a strict {@link io.promptune.runtime.load.SafetensorsReader} (F32/F16/BF16 to float32, sharded
 * indexes), {@link io.promptune.runtime.load.T5Checkpoint} (validated tensors + weights fingerprint) and
 * {@link io.promptune.runtime.load.GeneratedCheckpoint} (deterministic random models for demos and benchmarks).
 */
package io.promptune.runtime.load;
