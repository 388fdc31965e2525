package io.promptune.runtime.engine;

import io.promptune.runtime.load.T5Config;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an engine call's arguments before anything native is touched, and unpacks them into the arrays the
 * engine works on. Every failure is an {@link IllegalArgumentException} naming the offending argument (the
 * service layer has usually checked already; this is the engine's own guard).
 */
final class RequestValidator {

  /** The encoder side of a call: each row's input ids and the prompt it uses (-1: none). */
  record EncoderRows(int[][] inputIds, int[] promptIndex) {}

  /** A teacher-forced batch: encoder rows, each example's targets and the total number of target tokens. */
  record TeacherForcedBatch(EncoderRows rows, int[][] targets, int numTokens) {}

  /** Score queries: encoder rows and each query's candidate continuations. */
  record ScoreBatch(EncoderRows rows, List<List<int[]>> candidates) {}

  private final T5Config config;

  RequestValidator(T5Config config) {
    this.config = config;
  }

  void prompts(List<SoftPrompt> prompts) {
    if (prompts == null) {
      throw new IllegalArgumentException("prompts is null (pass an empty list for none)");
    }
    for (int i = 0; i < prompts.size(); i++) {
      SoftPrompt p = prompts.get(i);
      if (p == null) {
        throw new IllegalArgumentException("prompt " + i + " is null");
      }
      if (p.dModel() != config.dModel()) {
        throw new IllegalArgumentException(
            "prompt " + i + " has width " + p.dModel() + " but the model's d_model is " + config.dModel());
      }
    }
  }

  TeacherForcedBatch examples(List<SoftPrompt> prompts, List<Example> examples, float[] lossWeights) {
    prompts(prompts);
    if (examples == null || examples.isEmpty()) {
      throw new IllegalArgumentException("forwardBackward needs at least one example");
    }
    int b = examples.size();
    if (lossWeights != null && lossWeights.length != b) {
      throw new IllegalArgumentException(
          "lossWeights has " + lossWeights.length + " entries for " + b + " examples");
    }
    int[][] inputs = new int[b][];
    int[][] targets = new int[b][];
    int[] promptIndex = new int[b];
    int numTokens = 0;
    for (int e = 0; e < b; e++) {
      Example ex = examples.get(e);
      if (ex == null) {
        throw new IllegalArgumentException("example " + e + " is null");
      }
      inputs[e] = ids(ex.inputIds(), "example " + e + " inputIds");
      targets[e] = ids(ex.targetIds(), "example " + e + " targetIds");
      promptIndex[e] = promptIndex(ex.promptIndex(), prompts, "example " + e);
      encoderLength(inputs[e], promptIndex[e], "example " + e);
      numTokens += targets[e].length;
      if (lossWeights != null && !Float.isFinite(lossWeights[e])) {
        throw new IllegalArgumentException("lossWeights[" + e + "] is not finite");
      }
    }
    return new TeacherForcedBatch(new EncoderRows(inputs, promptIndex), targets, numTokens);
  }

  ScoreBatch scoreQueries(List<SoftPrompt> prompts, List<ScoreQuery> queries) {
    prompts(prompts);
    if (queries == null) {
      throw new IllegalArgumentException("queries is null");
    }
    int q = queries.size();
    int[][] inputs = new int[q][];
    int[] promptIndex = new int[q];
    List<List<int[]>> candidates = new ArrayList<>(q);
    for (int i = 0; i < q; i++) {
      ScoreQuery sq = queries.get(i);
      if (sq == null || sq.candidates() == null) {
        throw new IllegalArgumentException("query " + i + " or its candidates is null");
      }
      inputs[i] = ids(sq.inputIds(), "query " + i + " inputIds");
      promptIndex[i] = promptIndex(sq.promptIndex(), prompts, "query " + i);
      encoderLength(inputs[i], promptIndex[i], "query " + i);
      List<int[]> cands = new ArrayList<>(sq.candidates().size());
      for (int c = 0; c < sq.candidates().size(); c++) {
        cands.add(ids(sq.candidates().get(c), "query " + i + " candidate " + c));
      }
      candidates.add(cands);
    }
    return new ScoreBatch(new EncoderRows(inputs, promptIndex), candidates);
  }

  EncoderRows generateQueries(List<SoftPrompt> prompts, List<GenerateQuery> queries, int maxNewTokens,
      float lengthPenalty) {
    prompts(prompts);
    if (queries == null) {
      throw new IllegalArgumentException("queries is null");
    }
    if (maxNewTokens < 0) {
      throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
    }
    if (!Float.isFinite(lengthPenalty)) {
      throw new IllegalArgumentException("lengthPenalty must be finite");
    }
    int q = queries.size();
    int[][] inputs = new int[q][];
    int[] promptIndex = new int[q];
    for (int i = 0; i < q; i++) {
      GenerateQuery gq = queries.get(i);
      if (gq == null) {
        throw new IllegalArgumentException("query " + i + " is null");
      }
      inputs[i] = ids(gq.inputIds(), "query " + i + " inputIds");
      promptIndex[i] = promptIndex(gq.promptIndex(), prompts, "query " + i);
      encoderLength(inputs[i], promptIndex[i], "query " + i);
    }
    return new EncoderRows(inputs, promptIndex);
  }

  /** A prompt for nearest-token analysis and k within [1, limit]. */
  void nearestTokens(SoftPrompt prompt, int k, int limit) {
    if (prompt == null) {
      throw new IllegalArgumentException("prompt is null");
    }
    prompts(List.of(prompt));
    if (k <= 0 || k > limit) {
      throw new IllegalArgumentException("k must be in [1, " + limit + "], got " + k);
    }
  }

  /** Token ids within the vocabulary; returns them. */
  int[] ids(int[] ids, String what) {
    if (ids == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    for (int id : ids) {
      if (id < 0 || id >= config.vocabSize()) {
        throw new IllegalArgumentException(
            what + " contains token id " + id + " outside [0, " + config.vocabSize() + ")");
      }
    }
    return ids;
  }

  private static int promptIndex(int index, List<SoftPrompt> prompts, String what) {
    if (index < -1 || index >= prompts.size()) {
      throw new IllegalArgumentException(
          what + " has promptIndex " + index + " but the call has " + prompts.size() + " prompt(s)");
    }
    return index;
  }

  /** The encoder needs at least one position: a token or a prompt row. */
  private static void encoderLength(int[] ids, int promptIndex, String what) {
    if (ids.length == 0 && promptIndex < 0) {
      throw new IllegalArgumentException(what + " has no input tokens and no prompt");
    }
  }
}
