package io.promptune.runtime.engine;

import java.nio.file.Path;

/**
 * How {@link DjlT5Engine} loads and runs a checkpoint.
 *
 * @param intraOpThreads PyTorch intra-op threads; 0 = available cores (the default). Ignored when the system
 *                       property {@code ai.djl.pytorch.num_threads} is set.
 * @param interOpThreads PyTorch inter-op threads; 0 = 1 (the default). Only takes effect if the PyTorch engine has
 *                       not been loaded yet in this JVM; ignored when {@code ai.djl.pytorch.num_interop_threads} is
 *                       set.
 * @param device         DJL device name: "cpu" (default), or "gpu"/"gpu0"... when GPU natives are present
 * @param precision      FLOAT32 (default; weights and activations in float32, as Hugging Face), FLOAT64
 *                       (weights converted once at load; for numerical checks), or FLOAT16: the frozen weight
 *                       matrices are held in float16 (half the memory) while activations, norms, softmax,
 *                       position bias, loss, the prompt and its gradient stay float32 (each projection casts its
 *                       input to float16 and its result back; meant for GPUs). BFLOAT16 is accepted here but
 *                       refused at load: DJL 0.35's PyTorch JNI has no bfloat16 dtype (it aborts the process)
 * @param tokenizerPath  tokenizer.json (or a directory holding one) to use instead of the checkpoint's; null =
 *                       the checkpoint's tokenizer.json, or the byte tokenizer for byte-level vocabularies
 * @param modelId        what {@link T5Engine#modelId()} reports (e.g. the Hub id it was downloaded from); null =
 *                       "generated:&lt;name&gt;" for generated checkpoints, else the checkpoint directory
 */
public record EngineOptions(int intraOpThreads, int interOpThreads, String device, Precision precision,
    Path tokenizerPath, String modelId) {

  /** Compute precision (FLOAT32, FLOAT64) or, for BFLOAT16 / FLOAT16, the weights' dtype with float32 compute. */
  public enum Precision {
    FLOAT32, FLOAT64, BFLOAT16, FLOAT16;

    /** Parses "float32" (also "fp32"), "float64", "bfloat16" ("bf16"), "float16" ("fp16", "half"). */
    public static Precision parse(String s) {
      String v = s == null ? "" : s.strip().toLowerCase(java.util.Locale.ROOT);
      return switch (v) {
        case "", "float32", "fp32" -> FLOAT32;
        case "float64", "fp64" -> FLOAT64;
        case "bfloat16", "bf16" -> BFLOAT16;
        case "float16", "fp16", "half" -> FLOAT16;
        default -> throw new IllegalArgumentException(
            "unknown weights dtype '" + s + "': use float32, bfloat16 or float16");
      };
    }

    /** Lower-case name as reported in ModelInfo.weights_dtype ("float32", "bfloat16", ...). */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** True for BFLOAT16 / FLOAT16: half-precision weights, float32 activations (only FLOAT16 loads). */
    public boolean halfWeights() {
      return this == BFLOAT16 || this == FLOAT16;
    }
  }

  public EngineOptions {
    if (intraOpThreads < 0 || interOpThreads < 0) {
      throw new IllegalArgumentException("thread counts must be >= 0 (0 = automatic)");
    }
    device = device == null || device.isBlank() ? "cpu" : device;
    precision = precision == null ? Precision.FLOAT32 : precision;
  }

  public static EngineOptions defaults() {
    return new EngineOptions(0, 0, "cpu", Precision.FLOAT32, null, null);
  }

  public EngineOptions withIntraOpThreads(int threads) {
    return new EngineOptions(threads, interOpThreads, device, precision, tokenizerPath, modelId);
  }

  public EngineOptions withInterOpThreads(int threads) {
    return new EngineOptions(intraOpThreads, threads, device, precision, tokenizerPath, modelId);
  }

  public EngineOptions withDevice(String newDevice) {
    return new EngineOptions(intraOpThreads, interOpThreads, newDevice, precision, tokenizerPath, modelId);
  }

  public EngineOptions withPrecision(Precision newPrecision) {
    return new EngineOptions(intraOpThreads, interOpThreads, device, newPrecision, tokenizerPath, modelId);
  }

  public EngineOptions withTokenizerPath(Path path) {
    return new EngineOptions(intraOpThreads, interOpThreads, device, precision, path, modelId);
  }

  public EngineOptions withModelId(String id) {
    return new EngineOptions(intraOpThreads, interOpThreads, device, precision, tokenizerPath, id);
  }
}
