/**
 * Reading Hugging Face T5 checkpoints: {@link io.promptune.runtime.load.T5Config} (config.json with HF's
 * defaults), {@link io.promptune.runtime.load.T5Checkpoint} (validated tensors + weights fingerprint, read with
 * service-common's strict safetensors reader: F32/F16/BF16 to float32, sharded indexes) and
 * {@link io.promptune.runtime.load.GeneratedCheckpoint} (deterministic random models for demos and benchmarks).
 */
package io.promptune.runtime.load;
