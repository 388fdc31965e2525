package io.promptune.trainer.loop;

import io.promptune.api.Tensors;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.InlineEnsemble;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TrainingExample;
import io.promptune.api.v1.Truncation;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.format.TextPair;
import java.util.ArrayList;
import java.util.List;

/**
 * The dev metric of a prompt: rank-classification accuracy (the label with the highest summed log-likelihood,
 * via Score; ties go to the earlier label) or exact-match accuracy of greedy output (via Generate, compared after
 * trimming whitespace). Optionally also the dev loss (forward only). Examples go in fixed-size chunks in order.
 *
 * <p>An ensemble is evaluated in one call per chunk with an inline ensemble prompt: the runtime runs every member,
 * combines their answers by the rule (majority vote or mean log-probability) and returns each member's own answer,
 * so one pass gives the ensemble's value and every member's. Chunks then hold chunk / members examples, because the
 * runtime counts an ensemble example once per member against its per-request limit.
 */
public final class Evaluator {

  /**
   * @param loss         mean token NLL over the dev set, or NaN when not computed (an ensemble: the members' mean)
   * @param memberValues an ensemble's members' own values, in member order; empty for one prompt
   */
  public record Result(double value, float loss, List<Double> memberValues) {

    public Result(double value, float loss) {
      this(value, loss, List.of());
    }
  }

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

  /** The ensemble's value by {@code rule}, each member's value, and the members' mean dev loss. */
  public Result evaluateEnsemble(List<float[]> prompts, int length, int dModel, CombinationRule rule) {
    int n = prompts.size();
    InlineEnsemble.Builder ens = InlineEnsemble.newBuilder().setRule(rule);
    List<PromptRef> refs = new ArrayList<>();
    for (float[] p : prompts) {
      ens.addMembers(Tensors.float32(p, length, dModel));
      refs.add(PromptRef.newBuilder().setTensor(Tensors.float32(p, length, dModel)).build());
    }
    PromptRef ref = PromptRef.newBuilder().setEnsemble(ens).build();
    int per = Math.max(1, chunk / n);
    long correct = 0;
    long[] memberCorrect = new long[n];
    double[] sumNll = new double[n];
    long[] tokens = new long[n];
    for (int from = 0; from < examples.size(); from += per) {
      List<TextPair> part = examples.subList(from, Math.min(examples.size(), from + per));
      correct += mode == EvalMode.RANK_CLASSIFICATION ? rankEnsemble(ref, part, memberCorrect)
          : exactMatchEnsemble(ref, part, memberCorrect);
      if (computeLoss) {
        ForwardBackwardRequest.Builder fb = ForwardBackwardRequest.newBuilder().addAllPrompts(refs)
            .setForwardOnly(true).setTruncation(truncation);
        for (int m = 0; m < n; m++) {
          for (TextPair p : part) {
            fb.addExamples(TrainingExample.newBuilder().setInput(text(p.input())).setTarget(text(p.target()))
                .setPromptIndex(m));
          }
        }
        ForwardBackwardResponse r = runtime.forwardBackward(fb.build());
        for (int k = 0; k < r.getExamplesCount(); k++) {
          sumNll[k / part.size()] += r.getExamples(k).getSumNll();
          tokens[k / part.size()] += r.getExamples(k).getNumTargetTokens();
        }
      }
    }
    int size = examples.size();
    List<Double> members = new ArrayList<>(n);
    double lossSum = 0;
    for (int m = 0; m < n; m++) {
      members.add(size == 0 ? 0 : (double) memberCorrect[m] / size);
      lossSum += tokens[m] > 0 ? sumNll[m] / tokens[m] : Double.NaN;
    }
    float loss = computeLoss ? (float) (lossSum / n) : Float.NaN;
    return new Result(size == 0 ? 0 : (double) correct / size, loss, List.copyOf(members));
  }

  private int rankEnsemble(PromptRef ref, List<TextPair> part, long[] memberCorrect) {
    ScoreResponse r = scoreLabels(ref, part);
    int correct = 0;
    for (int i = 0; i < part.size(); i++) {
      var scores = r.getExamples(i);
      if (scores.getMembersCount() != memberCorrect.length) {
        throw new IllegalStateException("expected " + memberCorrect.length + " member answers, got "
            + scores.getMembersCount());
      }
      String target = part.get(i).target();
      if (labels.get(scores.getBestIndex()).equals(target)) {
        correct++;
      }
      for (int m = 0; m < memberCorrect.length; m++) {
        if (labels.get(scores.getMembers(m).getBestIndex()).equals(target)) {
          memberCorrect[m]++;
        }
      }
    }
    return correct;
  }

  private int exactMatchEnsemble(PromptRef ref, List<TextPair> part, long[] memberCorrect) {
    GenerateResponse r = generateGreedy(ref, part);
    int correct = 0;
    for (int i = 0; i < part.size(); i++) {
      var g = r.getGenerations(i);
      if (g.getMembersCount() != memberCorrect.length) {
        throw new IllegalStateException("expected " + memberCorrect.length + " member answers, got "
            + g.getMembersCount());
      }
      String target = part.get(i).target().strip();
      if (g.getText().strip().equals(target)) {
        correct++;
      }
      for (int m = 0; m < memberCorrect.length; m++) {
        if (g.getMembers(m).getText().strip().equals(target)) {
          memberCorrect[m]++;
        }
      }
    }
    return correct;
  }

  private int rank(PromptRef ref, List<TextPair> part) {
    ScoreResponse r = scoreLabels(ref, part);
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
    GenerateResponse r = generateGreedy(ref, part);
    int correct = 0;
    for (int i = 0; i < part.size(); i++) {
      if (r.getGenerations(i).getText().strip().equals(part.get(i).target().strip())) {
        correct++;
      }
    }
    return correct;
  }

  /** One Score call ranking every label for each record of {@code part} (an ensemble ref: members combined). */
  private ScoreResponse scoreLabels(PromptRef ref, List<TextPair> part) {
    ScoreRequest.Builder req = ScoreRequest.newBuilder().addPrompts(ref).setTruncation(truncation);
    for (TextPair p : part) {
      ScoreExample.Builder ex = ScoreExample.newBuilder().setInput(text(p.input()));
      for (String label : labels) {
        ex.addCandidates(text(label));
      }
      req.addExamples(ex);
    }
    return runtime.score(req.build());
  }

  /** One greedy Generate call over the inputs of {@code part}. */
  private GenerateResponse generateGreedy(PromptRef ref, List<TextPair> part) {
    GenerateRequest.Builder req = GenerateRequest.newBuilder().addPrompts(ref).setMaxNewTokens(maxNewTokens)
        .setNumBeams(1).setTruncation(truncation);
    for (TextPair p : part) {
      req.addInputs(GenerateInput.newBuilder().setInput(text(p.input())));
    }
    return runtime.generate(req.build());
  }

  static Text text(String s) {
    return Text.newBuilder().setText(s).build();
  }
}
