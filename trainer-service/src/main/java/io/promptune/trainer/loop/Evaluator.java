package io.promptune.trainer.loop;

import io.promptune.api.Tensors;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TrainingExample;
import io.promptune.api.v1.Truncation;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.format.TextPair;
import java.util.List;

/**
 * The dev metric of a prompt: rank-classification accuracy (the label with the highest summed log-likelihood,
 * via Score; ties go to the earlier label) or exact-match accuracy of greedy output (via Generate, compared after
 * trimming whitespace). Optionally also the dev loss (forward only). Examples go in fixed-size chunks in order.
 */
public final class Evaluator {

  /** @param loss mean token NLL over the dev set, or NaN when not computed */
  public record Result(double value, float loss) {}

  private final RuntimeClient runtime;
  private final EvalMode mode;
  private final List<TextPair> examples;
  private final List<String> labels;
  private final int maxNewTokens;
  private final int chunk;
  private final Truncation truncation;
  private final boolean computeLoss;

  public Evaluator(RuntimeClient runtime, EvalMode mode, List<TextPair> examples, List<String> labels,
      int maxNewTokens, int chunk, Truncation truncation, boolean computeLoss) {
    if (mode != EvalMode.RANK_CLASSIFICATION && mode != EvalMode.EXACT_MATCH) {
      throw new IllegalArgumentException("eval mode must be resolved, got " + mode);
    }
    this.runtime = runtime;
    this.mode = mode;
    this.examples = List.copyOf(examples);
    this.labels = List.copyOf(labels);
    this.maxNewTokens = maxNewTokens;
    this.chunk = Math.max(1, chunk);
    this.truncation = truncation;
    this.computeLoss = computeLoss;
  }

  public String metricName() {
    return mode == EvalMode.RANK_CLASSIFICATION ? "accuracy" : "exact_match";
  }

  public int size() {
    return examples.size();
  }

  public Result evaluate(float[] prompt, int length, int dModel) {
    PromptRef ref = PromptRef.newBuilder().setTensor(Tensors.float32(prompt, length, dModel)).build();
    int correct = 0;
    double sumNll = 0;
    long tokens = 0;
    for (int from = 0; from < examples.size(); from += chunk) {
      List<TextPair> part = examples.subList(from, Math.min(examples.size(), from + chunk));
      correct += mode == EvalMode.RANK_CLASSIFICATION ? rank(ref, part) : exactMatch(ref, part);
      if (computeLoss) {
        ForwardBackwardRequest.Builder fb = ForwardBackwardRequest.newBuilder().addPrompts(ref)
            .setForwardOnly(true).setTruncation(truncation);
        for (TextPair p : part) {
          fb.addExamples(TrainingExample.newBuilder().setInput(text(p.input())).setTarget(text(p.target())));
        }
        ForwardBackwardResponse r = runtime.forwardBackward(fb.build());
        for (var e : r.getExamplesList()) {
          sumNll += e.getSumNll();
          tokens += e.getNumTargetTokens();
        }
      }
    }
    double value = examples.isEmpty() ? 0 : (double) correct / examples.size();
    float loss = computeLoss && tokens > 0 ? (float) (sumNll / tokens) : Float.NaN;
    return new Result(value, loss);
  }

  private int rank(PromptRef ref, List<TextPair> part) {
    ScoreRequest.Builder req = ScoreRequest.newBuilder().addPrompts(ref).setTruncation(truncation);
    for (TextPair p : part) {
      ScoreExample.Builder ex = ScoreExample.newBuilder().setInput(text(p.input()));
      for (String label : labels) {
        ex.addCandidates(text(label));
      }
      req.addExamples(ex);
    }
    ScoreResponse r = runtime.score(req.build());
    int correct = 0;
    for (int i = 0; i < part.size(); i++) {
      var cands = r.getExamples(i).getCandidatesList();
      int best = 0;
      for (int c = 1; c < cands.size(); c++) {
        if (cands.get(c).getSumLogProb() > cands.get(best).getSumLogProb()) {
          best = c;
        }
      }
      if (labels.get(best).equals(part.get(i).target())) {
        correct++;
      }
    }
    return correct;
  }

  private int exactMatch(PromptRef ref, List<TextPair> part) {
    GenerateRequest.Builder req = GenerateRequest.newBuilder().addPrompts(ref).setMaxNewTokens(maxNewTokens)
        .setNumBeams(1).setTruncation(truncation);
    for (TextPair p : part) {
      req.addInputs(GenerateInput.newBuilder().setInput(text(p.input())));
    }
    GenerateResponse r = runtime.generate(req.build());
    int correct = 0;
    for (int i = 0; i < part.size(); i++) {
      if (r.getGenerations(i).getText().strip().equals(part.get(i).target().strip())) {
        correct++;
      }
    }
    return correct;
  }

  static Text text(String s) {
    return Text.newBuilder().setText(s).build();
  }
}
