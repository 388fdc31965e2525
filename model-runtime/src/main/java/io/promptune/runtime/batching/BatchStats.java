package io.promptune.runtime.batching;

import io.promptune.runtime.bench.FlopCount;
import io.promptune.runtime.engine.Example;
import io.promptune.runtime.engine.GenerateQuery;
import io.promptune.runtime.engine.GenerationResult;
import io.promptune.runtime.engine.ModelSpec;
import io.promptune.runtime.engine.ScoreQuery;
import io.promptune.runtime.engine.SoftPrompt;
import java.util.List;

/**
 * What one engine call did, for metrics: how many callers it merged, its rows, how long each caller waited in the
 * queue before it ran, the tokens it processed by kind, and its matmul FLOPs ({@link FlopCount} on the padded
 * shapes the engine actually ran).
 *
 * @param op              "forward_backward", "forward" (loss only), "score" or "generate"
 * @param queueWaitNanos  per merged caller: submit to engine start
 * @param promptTokens    soft-prompt rows prepended to the encoder input, summed over rows
 * @param inputTokens     encoder input tokens, summed over rows
 * @param targetTokens    teacher-forced decoder tokens (targets, score candidates)
 * @param generatedTokens tokens produced by Generate
 */
public record BatchStats(String op, int callers, int rows, long[] queueWaitNanos, long promptTokens,
    long inputTokens, long targetTokens, long generatedTokens, double flops) {

  static BatchStats forwardBackward(ModelSpec spec, long[] waits, List<SoftPrompt> prompts, List<Example> examples,
      boolean grads) {
    long p = 0;
    long in = 0;
    long t = 0;
    int enc = 0;
    int dec = 0;
    for (Example e : examples) {
      int pl = e.promptIndex() >= 0 ? prompts.get(e.promptIndex()).length() : 0;
      p += pl;
      in += e.inputIds().length;
      t += e.targetIds().length;
      enc = Math.max(enc, pl + e.inputIds().length);
      dec = Math.max(dec, e.targetIds().length);
    }
    FlopCount f = FlopCount.of(spec, examples.size(), enc, dec);
    return new BatchStats(grads ? "forward_backward" : "forward", waits.length, examples.size(), waits, p, in, t, 0,
        grads ? f.total() : f.forward());
  }

  static BatchStats score(ModelSpec spec, long[] waits, List<SoftPrompt> prompts, List<ScoreQuery> queries) {
    long p = 0;
    long in = 0;
    long t = 0;
    int rows = 0;
    int enc = 0;
    int dec = 0;
    for (ScoreQuery q : queries) {
      int pl = q.promptIndex() >= 0 ? prompts.get(q.promptIndex()).length() : 0;
      p += pl;
      in += q.inputIds().length;
      enc = Math.max(enc, pl + q.inputIds().length);
      for (int[] c : q.candidates()) {
        t += c.length;
        dec = Math.max(dec, c.length);
        rows++;
      }
    }
    return new BatchStats("score", waits.length, rows, waits, p, in, t, 0,
        FlopCount.of(spec, rows, enc, dec).forward());
  }

  /** Decoding with cached keys and values: counted as one teacher-forced forward pass over what was generated. */
  static BatchStats generate(ModelSpec spec, long[] waits, List<SoftPrompt> prompts, List<GenerateQuery> queries,
      List<GenerationResult> results, int beams) {
    long p = 0;
    long in = 0;
    long g = 0;
    int enc = 0;
    int dec = 0;
    for (GenerateQuery q : queries) {
      int pl = q.promptIndex() >= 0 ? prompts.get(q.promptIndex()).length() : 0;
      p += pl;
      in += q.inputIds().length;
      enc = Math.max(enc, pl + q.inputIds().length);
    }
    for (GenerationResult r : results) {
      g += r.tokenIds().length;
      dec = Math.max(dec, r.tokenIds().length);
    }
    int rows = queries.size() * Math.max(1, beams);
    return new BatchStats("generate", waits.length, queries.size(), waits, p, in, 0, g,
        FlopCount.of(spec, rows, enc, Math.max(1, dec)).forward());
  }
}
