package io.promptune.runtime.engine;

import java.util.List;

/**
 * The frozen T5 behind the runtime's RPCs: everything the service layer needs, in plain Java types.
 *
 * <p>Prompts are passed per call as a list; each example points at one of them by index (or -1 for no
 * prompt), so one call can mix tasks. Prompts may differ in length but all have width d_model. Callers
 * validate inputs (shapes, finiteness, id ranges, lengths) before calling; the engine still fails fast with
 * {@link IllegalArgumentException} on anything it cannot compute.
 *
 * <p>Implementations are thread-safe: calls may arrive concurrently (the service layer usually merges them
 * into micro-batches first). Every call releases the native memory it allocated before returning.
 */
public interface T5Engine extends AutoCloseable {

  /** Configuration facts of the loaded checkpoint. */
  ModelSpec spec();

  /** sha256 (hex) over the weights as loaded: sorted names, shapes and float32 little-endian bytes. */
  String fingerprint();

  /** Where the model came from: a directory, a Hub id, or "generated:&lt;name&gt;". */
  String modelId();

  TextTokenizer tokenizer();

  /**
   * Teacher-forced forward pass and, unless {@code computeGradients} is false, d objective / d P for every prompt.
   *
   * <p>Objective = sum over examples e of {@code lossWeights[e] * sumNll(e)}. With {@code lossWeights == null}
   * every weight is 1 / (target tokens in the whole batch), which is Hugging Face's mean CrossEntropyLoss.
   * The service layer passes explicit weights when it merges several callers' requests into one batch, so that
   * each caller's prompts get exactly the gradient of that caller's own mean loss.
   */
  ForwardBackwardResult forwardBackward(List<SoftPrompt> prompts, List<Example> examples, float[] lossWeights,
      boolean computeGradients);

  /** Sum of log p(candidate token | input, prefix) for every candidate of every query. */
  List<CandidateScores> score(List<SoftPrompt> prompts, List<ScoreQuery> queries);

  /**
   * Greedy ({@code numBeams <= 1}) or beam-search decoding with cached keys and values. Stops a row at EOS or
   * after {@code maxNewTokens}.
   */
  List<GenerationResult> generate(List<SoftPrompt> prompts, List<GenerateQuery> queries, int maxNewTokens,
      int numBeams, float lengthPenalty);

  /** For each prompt row, the k vocabulary ids whose input embedding has the highest cosine similarity. */
  List<List<NearestToken>> nearestTokens(SoftPrompt prompt, int k);

  /** shared[ids] as row-major float32 [ids.length, d_model]. */
  float[] embed(int[] ids);

  @Override
  void close();
}
