package io.promptune.runtime.batching;

import io.promptune.runtime.engine.CandidateScores;
import io.promptune.runtime.engine.Example;
import io.promptune.runtime.engine.ForwardBackwardResult;
import io.promptune.runtime.engine.GenerateQuery;
import io.promptune.runtime.engine.GenerationResult;
import io.promptune.runtime.engine.ScoreQuery;
import io.promptune.runtime.engine.SoftPrompt;
import io.promptune.runtime.engine.T5Engine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The engine behind the RPCs, with concurrent callers merged into micro-batches ({@link MicroBatcher}).
 *
 * <p>Merging never mixes callers' prompts: each request's prompts become distinct engine prompts (indices offset),
 * so every gradient belongs to exactly one caller. ForwardBackward passes explicit {@code lossWeights}: each example
 * of a request with T target tokens weighs 1/T, so the merged objective is the sum of the callers' own mean losses
 * and d objective / d P of a caller's prompt is exactly the gradient of that caller's mean loss. The same weights
 * are used when a request runs alone, so merged and lone calls compute the same function; they differ only by
 * floating-point rounding where padding and batch size change the shapes the BLAS kernels see.
 *
 * <p>With batching disabled every call still goes through the same merge code, as a batch of one, on the caller's
 * thread.
 */
public final class BatchingEngine implements AutoCloseable {

  private final T5Engine engine;
  private final boolean enabled;
  private final MicroBatcher<FbJob> fb;
  private final MicroBatcher<ScoreJob> score;
  private final MicroBatcher<GenJob> gen;
  private volatile BatchObserver observer = BatchObserver.NONE;

  public BatchingEngine(T5Engine engine, boolean enabled, Duration window, long maxTokens) {
    this.engine = engine;
    this.enabled = enabled;
    long w = window.toNanos();
    this.fb = enabled ? new MicroBatcher<>("forward-backward", w, maxTokens, this::runForwardBackward) : null;
    this.score = enabled ? new MicroBatcher<>("score", w, maxTokens, this::runScore) : null;
    this.gen = enabled ? new MicroBatcher<>("generate", w, maxTokens, this::runGenerate) : null;
  }

  public T5Engine engine() {
    return engine;
  }

  /** Who hears about every engine call (metrics); {@link BatchObserver#NONE} by default. */
  public void observe(BatchObserver o) {
    this.observer = o == null ? BatchObserver.NONE : o;
  }

  private static long[] waits(List<? extends BaseJob<?>> jobs) {
    long now = System.nanoTime();
    return jobs.stream().mapToLong(j -> now - j.submitted).toArray();
  }

  /**
   * One caller's teacher-forced batch: the loss is its own mean token NLL, the gradients (one per prompt, unless
   * {@code computeGradients} is false) are d loss / d P.
   */
  public FbOutcome forwardBackward(List<SoftPrompt> prompts, List<Example> examples, boolean computeGradients) {
    FbJob job = new FbJob(prompts, examples, computeGradients);
    if (enabled) {
      fb.submit(job);
    } else {
      runForwardBackward(List.of(job));
    }
    return await(job.result);
  }

  public List<CandidateScores> score(List<SoftPrompt> prompts, List<ScoreQuery> queries) {
    ScoreJob job = new ScoreJob(prompts, queries);
    if (enabled) {
      score.submit(job);
    } else {
      runScore(List.of(job));
    }
    return await(job.result);
  }

  public List<GenerationResult> generate(List<SoftPrompt> prompts, List<GenerateQuery> queries, int maxNewTokens,
      int numBeams, float lengthPenalty) {
    GenJob job = new GenJob(prompts, queries, new GenKey(maxNewTokens, Math.max(1, numBeams), lengthPenalty));
    if (enabled) {
      gen.submit(job);
    } else {
      runGenerate(List.of(job));
    }
    return await(job.result);
  }

  /** [engine calls, jobs] per kind: forward-backward, score, generate (zeros when batching is off). */
  public long[] stats() {
    return enabled ? new long[] {fb.engineCalls(), fb.jobsRun(), score.engineCalls(), score.jobsRun(),
        gen.engineCalls(), gen.jobsRun()} : new long[6];
  }

  // ------------------------------------------------------------------------------------------ forward-backward

  private static final class FbJob extends BaseJob<FbOutcome> {
    final List<SoftPrompt> prompts;
    final List<Example> examples;
    final boolean grads;
    final int targetTokens;
    final int length;

    FbJob(List<SoftPrompt> prompts, List<Example> examples, boolean grads) {
      this.prompts = prompts;
      this.examples = examples;
      this.grads = grads;
      int t = 0;
      int enc = 0;
      int dec = 0;
      for (Example e : examples) {
        t += e.targetIds().length;
        enc = Math.max(enc, e.inputIds().length + (e.promptIndex() >= 0 ? prompts.get(e.promptIndex()).length() : 0));
        dec = Math.max(dec, e.targetIds().length);
      }
      this.targetTokens = t;
      this.length = enc + dec;
    }

    @Override
    public Object groupKey() {
      return grads; // forward-only calls never pay for a backward pass
    }

    @Override
    public int rows() {
      return examples.size();
    }

    @Override
    public int length() {
      return length;
    }
  }

  private void runForwardBackward(List<FbJob> jobs) {
    List<SoftPrompt> prompts = new ArrayList<>();
    List<Example> examples = new ArrayList<>();
    int n = jobs.stream().mapToInt(j -> j.examples.size()).sum();
    float[] weights = new float[n];
    for (FbJob j : jobs) {
      int offset = prompts.size();
      prompts.addAll(j.prompts);
      float w = 1.0f / j.targetTokens;
      for (Example e : j.examples) {
        weights[examples.size()] = w;
        examples.add(e.promptIndex() < 0 ? e : new Example(e.inputIds(), e.targetIds(), e.promptIndex() + offset));
      }
    }
    long[] waits = waits(jobs);
    ForwardBackwardResult r = engine.forwardBackward(prompts, examples, weights, jobs.get(0).grads);
    observer.onBatch(BatchStats.forwardBackward(engine.spec(), waits, prompts, examples, jobs.get(0).grads));
    int e0 = 0;
    int p0 = 0;
    for (FbJob j : jobs) {
      int ne = j.examples.size();
      double[] sums = Arrays.copyOfRange(r.exampleSumNll(), e0, e0 + ne);
      int[] tokens = Arrays.copyOfRange(r.exampleTokens(), e0, e0 + ne);
      double total = 0;
      for (double s : sums) {
        total += s;
      }
      List<float[]> grads = r.promptGradients() == null ? List.of()
          : List.copyOf(r.promptGradients().subList(p0, p0 + j.prompts.size()));
      j.result.complete(new FbOutcome(total / j.targetTokens, j.targetTokens, sums, tokens, grads));
      e0 += ne;
      p0 += j.prompts.size();
    }
  }

  // ---------------------------------------------------------------------------------------------------- score

  private static final class ScoreJob extends BaseJob<List<CandidateScores>> {
    final List<SoftPrompt> prompts;
    final List<ScoreQuery> queries;
    final int rows;
    final int length;

    ScoreJob(List<SoftPrompt> prompts, List<ScoreQuery> queries) {
      this.prompts = prompts;
      this.queries = queries;
      int r = 0;
      int enc = 0;
      int dec = 0;
      for (ScoreQuery q : queries) {
        r += q.candidates().size();
        enc = Math.max(enc, q.inputIds().length + (q.promptIndex() >= 0 ? prompts.get(q.promptIndex()).length() : 0));
        for (int[] c : q.candidates()) {
          dec = Math.max(dec, c.length);
        }
      }
      this.rows = r;
      this.length = enc + dec;
    }

    @Override
    public Object groupKey() {
      return "score";
    }

    @Override
    public int rows() {
      return rows;
    }

    @Override
    public int length() {
      return length;
    }
  }

  private void runScore(List<ScoreJob> jobs) {
    List<SoftPrompt> prompts = new ArrayList<>();
    List<ScoreQuery> queries = new ArrayList<>();
    for (ScoreJob j : jobs) {
      int offset = prompts.size();
      prompts.addAll(j.prompts);
      for (ScoreQuery q : j.queries) {
        queries.add(q.promptIndex() < 0 ? q : new ScoreQuery(q.inputIds(), q.candidates(), q.promptIndex() + offset));
      }
    }
    long[] waits = waits(jobs);
    List<CandidateScores> r = engine.score(prompts, queries);
    observer.onBatch(BatchStats.score(engine.spec(), waits, prompts, queries));
    int q0 = 0;
    for (ScoreJob j : jobs) {
      j.result.complete(List.copyOf(r.subList(q0, q0 + j.queries.size())));
      q0 += j.queries.size();
    }
  }

  // ------------------------------------------------------------------------------------------------- generate

  private record GenKey(int maxNewTokens, int numBeams, float lengthPenalty) {}

  private static final class GenJob extends BaseJob<List<GenerationResult>> {
    final List<SoftPrompt> prompts;
    final List<GenerateQuery> queries;
    final GenKey key;
    final int length;

    GenJob(List<SoftPrompt> prompts, List<GenerateQuery> queries, GenKey key) {
      this.prompts = prompts;
      this.queries = queries;
      this.key = key;
      int enc = 0;
      for (GenerateQuery q : queries) {
        enc = Math.max(enc, q.inputIds().length + (q.promptIndex() >= 0 ? prompts.get(q.promptIndex()).length() : 0));
      }
      this.length = enc + key.maxNewTokens();
    }

    @Override
    public Object groupKey() {
      return key; // one decoding loop serves one (max_new_tokens, beams, length penalty)
    }

    @Override
    public int rows() {
      return queries.size() * key.numBeams();
    }

    @Override
    public int length() {
      return length;
    }
  }

  private void runGenerate(List<GenJob> jobs) {
    List<SoftPrompt> prompts = new ArrayList<>();
    List<GenerateQuery> queries = new ArrayList<>();
    for (GenJob j : jobs) {
      int offset = prompts.size();
      prompts.addAll(j.prompts);
      for (GenerateQuery q : j.queries) {
        queries.add(q.promptIndex() < 0 ? q : new GenerateQuery(q.inputIds(), q.promptIndex() + offset));
      }
    }
    GenKey k = jobs.get(0).key;
    long[] waits = waits(jobs);
    List<GenerationResult> r = engine.generate(prompts, queries, k.maxNewTokens(), k.numBeams(), k.lengthPenalty());
    observer.onBatch(BatchStats.generate(engine.spec(), waits, prompts, queries, r, k.numBeams()));
    int q0 = 0;
    for (GenJob j : jobs) {
      j.result.complete(List.copyOf(r.subList(q0, q0 + j.queries.size())));
      q0 += j.queries.size();
    }
  }

  // ---------------------------------------------------------------------------------------------------- common

  private abstract static class BaseJob<R> implements MicroBatcher.Job {
    final CompletableFuture<R> result = new CompletableFuture<>();
    final long submitted = System.nanoTime();

    @Override
    public void fail(Throwable error) {
      result.completeExceptionally(error);
    }
  }

  /** Waits for a job; rethrows the engine's exception as it was thrown. */
  private static <R> R await(CompletableFuture<R> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for the engine");
    } catch (ExecutionException | CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(c);
    }
  }

  @Override
  public void close() {
    if (enabled) {
      fb.close();
      score.close();
      gen.close();
    }
  }
}
