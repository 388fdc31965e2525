package io.promptune.runtime.batching;

import static io.promptune.runtime.grpc.RuntimeTestSupport.prompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.randomPrompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.stub;
import static io.promptune.runtime.grpc.RuntimeTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.Tensors;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.TrainingExample;
import io.promptune.runtime.grpc.RuntimeTestSupport;
import io.promptune.runtime.service.ModelHost;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request's result is the same whether it runs alone or merged with other callers' requests, up to float32
 * rounding: loss and per-example NLL agree to 1e-6 relative, d loss / d P to 2e-5 relative (max-abs and L2). Not
 * bitwise: a merged call has more rows and more padding, so the float32 GEMM kernels block the sums differently;
 * the backward pass amplifies that to ~5e-6 in the gradient, which is the size of float32's own error against a
 * float64 computation of the same gradient (about 4e-6). In float64 merged and lone results are bitwise equal
 * ({@link BatchingEngineFloat64Test}).
 */
@QuarkusTest
class BatchingExactnessTest {

  static final int D = 64;
  static final int CALLERS = 6;
  static final int ROUNDS = 4;
  static final String[] WORDS = {"the", "film", "was", "a", "charming", "and", "moving", "story", "about", "love"};

  @Inject
  ModelHost host;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  /** Caller c: its own prompts (different lengths), 1..3 examples of different lengths, one shared-prompt pair. */
  static ForwardBackwardRequest request(int c) {
    ForwardBackwardRequest.Builder b = ForwardBackwardRequest.newBuilder();
    int rows = 2 + c;
    b.addPrompts(prompt(randomPrompt(100 + c, rows * D), rows, D));
    b.addPrompts(prompt(randomPrompt(200 + c, 3 * D), 3, D));
    for (int e = 0; e <= c % 3; e++) {
      StringBuilder in = new StringBuilder();
      for (int w = 0; w < 3 + 4 * c + e; w++) {
        in.append(WORDS[(w * 7 + c + e) % WORDS.length]).append(' ');
      }
      b.addExamples(TrainingExample.newBuilder().setInput(text(in.toString()))
          .setTarget(text(WORDS[(c + e) % WORDS.length] + " " + WORDS[e % WORDS.length])).setPromptIndex(e % 2));
    }
    return b.build();
  }

  @Test
  void forwardBackwardAloneEqualsMerged() throws Exception {
    List<ForwardBackwardResponse> alone = new ArrayList<>();
    for (int c = 0; c < CALLERS; c++) {
      alone.add(stub().forwardBackward(request(c)));
    }
    long[] before = host.service().batching().stats();
    List<List<ForwardBackwardResponse>> merged = concurrently(c -> stub().forwardBackward(request(c)));
    long[] after = host.service().batching().stats();
    long calls = after[0] - before[0];
    long jobs = after[1] - before[1];
    assertEquals(CALLERS * ROUNDS, jobs);
    assertTrue(calls < jobs, "concurrent callers were merged: " + jobs + " requests in " + calls + " engine calls");
    double worstLoss = 0;
    double worstNll = 0;
    double worstGrad = 0;
    double worstGradL2 = 0;
    for (List<ForwardBackwardResponse> round : merged) {
      for (int c = 0; c < CALLERS; c++) {
        ForwardBackwardResponse a = alone.get(c);
        ForwardBackwardResponse m = round.get(c);
        worstLoss = Math.max(worstLoss, rel(a.getLoss(), m.getLoss()));
        assertEquals(a.getNumTargetTokens(), m.getNumTargetTokens());
        for (int e = 0; e < a.getExamplesCount(); e++) {
          worstNll = Math.max(worstNll, rel(a.getExamples(e).getSumNll(), m.getExamples(e).getSumNll()));
        }
        for (int p = 0; p < a.getPromptGradientsCount(); p++) {
          float[] ga = Tensors.toFloats(a.getPromptGradients(p), "a");
          float[] gm = Tensors.toFloats(m.getPromptGradients(p), "m");
          worstGrad = Math.max(worstGrad, relMax(ga, gm));
          worstGradL2 = Math.max(worstGradL2, relL2(ga, gm));
        }
      }
    }
    double worst = Math.max(worstLoss, Math.max(worstNll, worstGrad));
    System.out.printf("batching exactness: %d requests in %d engine calls; worst relative difference: loss %.3g, "
        + "example NLL %.3g, gradient %.3g (max-abs) %.3g (L2)%n", jobs, calls, worstLoss, worstNll, worstGrad,
        worstGradL2);
    assertTrue(worstLoss <= 1e-6 && worstNll <= 1e-6, "merged losses differ from lone ones by " + worst);
    assertTrue(worstGrad <= 2e-5 && worstGradL2 <= 2e-5, "merged gradients differ from lone ones by " + worstGrad);
  }

  @Test
  void scoreAndGreedyGenerateAloneEqualMerged() throws Exception {
    Function<Integer, ScoreRequest> score = c -> ScoreRequest.newBuilder()
        .addPrompts(prompt(randomPrompt(300 + c, (1 + c) * D), 1 + c, D))
        .addExamples(ScoreExample.newBuilder().setInput(text("review " + "good ".repeat(1 + 3 * c)))
            .addCandidates(text("positive")).addCandidates(text("negative")).addCandidates(text("so so")))
        .build();
    Function<Integer, GenerateRequest> gen = c -> GenerateRequest.newBuilder().setMaxNewTokens(5)
        .addPrompts(prompt(randomPrompt(400 + c, 2 * D), 2, D))
        .addInputs(GenerateInput.newBuilder().setInput(text("summarize: " + "words ".repeat(1 + 2 * c))))
        .build();
    List<ScoreResponse> aloneScores = new ArrayList<>();
    List<GenerateResponse> aloneGen = new ArrayList<>();
    for (int c = 0; c < CALLERS; c++) {
      aloneScores.add(stub().score(score.apply(c)));
      aloneGen.add(stub().generate(gen.apply(c)));
    }
    double worst = 0;
    for (List<ScoreResponse> round : concurrently(c -> stub().score(score.apply(c)))) {
      for (int c = 0; c < CALLERS; c++) {
        for (int k = 0; k < 3; k++) {
          worst = Math.max(worst, rel(aloneScores.get(c).getExamples(0).getCandidates(k).getSumLogProb(),
              round.get(c).getExamples(0).getCandidates(k).getSumLogProb()));
        }
        assertEquals(aloneScores.get(c).getExamples(0).getBestIndex(), round.get(c).getExamples(0).getBestIndex());
      }
    }
    assertTrue(worst <= 1e-6, "merged scores differ by " + worst);
    for (List<GenerateResponse> round : concurrently(c -> stub().generate(gen.apply(c)))) {
      for (int c = 0; c < CALLERS; c++) {
        assertEquals(aloneGen.get(c).getGenerations(0).getTokenIdsList(),
            round.get(c).getGenerations(0).getTokenIdsList());
      }
    }
  }

  /** ROUNDS rounds of CALLERS threads released together; results per round in caller order. */
  static <R> List<List<R>> concurrently(Function<Integer, R> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    try {
      List<List<R>> rounds = new ArrayList<>();
      for (int r = 0; r < ROUNDS; r++) {
        CyclicBarrier start = new CyclicBarrier(CALLERS);
        List<Future<R>> futures = new ArrayList<>();
        for (int c = 0; c < CALLERS; c++) {
          int caller = c;
          futures.add(pool.submit(() -> {
            start.await();
            return call.apply(caller);
          }));
        }
        List<R> out = new ArrayList<>();
        for (Future<R> f : futures) {
          out.add(f.get());
        }
        rounds.add(out);
      }
      return rounds;
    } finally {
      pool.shutdownNow();
    }
  }

  /** ||a - b|| / ||a||. */
  static double relL2(float[] a, float[] b) {
    double d = 0;
    double n = 1e-60;
    for (int i = 0; i < a.length; i++) {
      d += (double) (a[i] - b[i]) * (a[i] - b[i]);
      n += (double) a[i] * a[i];
    }
    return Math.sqrt(d / n);
  }

  static double rel(double a, double b) {
    return Math.abs(a - b) / Math.max(1e-30, Math.max(Math.abs(a), Math.abs(b)));
  }

  /** max |a - b| / max |a|: the error relative to the tensor's scale. */
  static double relMax(float[] a, float[] b) {
    double diff = 0;
    double scale = 1e-30;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    return diff / scale;
  }
}
