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
 * @param precision      FLOAT32 (default; weights and activations in float32, as Hugging Face) or FLOAT64
 *                       (weights converted once at load; for numerical checks)
 * @param tokenizerPath  tokenizer.json (or a directory holding one) to use instead of the checkpoint's; null =
 *                       the checkpoint's tokenizer.json, or the byte tokenizer for byte-level vocabularies
 * @param modelId        what {@link T5Engine#modelId()} reports (e.g. the Hub id it was downloaded from); null =
 *                       "generated:&lt;name&gt;" for generated checkpoints, else the checkpoint directory
 */
public record EngineOptions(int intraOpThreads, int interOpThreads, String device, Precision precision,
    Path tokenizerPath, String modelId) {

  /** Compute precision. */
  public enum Precision {
    FLOAT32, FLOAT64
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
