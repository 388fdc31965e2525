package io.promptune.trainer.loop;

import io.promptune.api.Tensors;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.StepEvent;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.TrainingExample;
import io.promptune.api.v1.Truncation;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.format.TextPair;
import io.promptune.trainer.observability.TrainerMetrics;
import io.promptune.trainer.schedule.LrSchedule;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The optimisation loop. One step: take the next batch in the seeded data order, send P and the batch to the
 * runtime's ForwardBackward (split into requests of at most {@code maxExamplesPerRequest} examples, whose gradients
 * are combined weighted by target tokens, which equals the gradient of the whole batch's mean token loss), check
 * the loss and gradient are finite, apply the optimiser in plain float math, then evaluate every
 * {@code evalInterval} steps and at the last step, keep the best prompt, count evaluations without improvement
 * for early stopping, and hand the state out for a checkpoint every {@code checkpointInterval} steps and at the end.
 *
 * <p>An ensemble job ({@link TrainingState#isEnsemble()}) steps all its members together: each takes the next batch
 * of its own data order, all batches go to the runtime in one ForwardBackward (per-example prompt_index; split only
 * when the runtime's per-request limit demands it), and each member's gradient is rescaled from the whole
 * request's token mean to the mean over its own batch's target tokens, so member i's update is the one a lone job
 * with seed + i would make (up to float rounding). Each member has its own optimiser state; evaluation combines the
 * members by the ensemble rule, and best-step selection and early stopping follow the combined value. One ensemble
 * step counts as one step in the metrics and events.
 *
 * <p>Nothing here reads the clock or iterates a hash map in a way that reaches the math: the same state and the
 * same runtime answers give a bit-identical prompt, which is what makes resume-from-checkpoint exact.
 */
public final class TrainingLoop {

  public record Settings(int maxSteps, int batchSize, int evalInterval, int checkpointInterval, int patience,
      double minDelta, double baseLearningRate, LrSchedule schedule, int maxExamplesPerRequest,
      String expectedModelFingerprint, Truncation truncation, CombinationRule ensembleRule) {

    /** Settings of a single-prompt job (no ensemble rule). */
    public Settings(int maxSteps, int batchSize, int evalInterval, int checkpointInterval, int patience,
        double minDelta, double baseLearningRate, LrSchedule schedule, int maxExamplesPerRequest,
        String expectedModelFingerprint, Truncation truncation) {
      this(maxSteps, batchSize, evalInterval, checkpointInterval, patience, minDelta, baseLearningRate, schedule,
          maxExamplesPerRequest, expectedModelFingerprint, truncation, CombinationRule.MAJORITY_VOTE);
    }
  }

  public enum Outcome { FINISHED, STOPPED }

  private final Settings s;
  private final RuntimeClient runtime;
  private final List<TextPair> train;
  private final Evaluator evaluator;
  private final LoopListener listener;

  /** @param evaluator null when there is no validation split: nothing is evaluated, the last prompt is the result */
  public TrainingLoop(Settings settings, RuntimeClient runtime, List<TextPair> train, Evaluator evaluator,
      LoopListener listener) {
    this.s = settings;
    this.runtime = runtime;
    this.train = List.copyOf(train);
    this.evaluator = evaluator == null || evaluator.size() == 0 ? null : evaluator;
    this.listener = listener;
  }

  public Outcome run(TrainingState st) {
    while (!st.finished) {
      if (st.step >= s.maxSteps()) {
        st.finished = true;
        st.stopReason = "max_steps";
        listener.onCheckpoint(st);
        break;
      }
      if (listener.shouldStop()) {
        return Outcome.STOPPED;
      }
      Runnable end = listener.stepStarted(st.step + 1);
      try {
        step(st);
      } finally {
        end.run();
      }
    }
    return Outcome.FINISHED;
  }

  private void step(TrainingState st) {
    if (st.isEnsemble()) {
      ensembleStep(st);
      return;
    }
    TrainingState.Member m = st.members.get(0);
    long started = System.nanoTime(); // only for the examples/second figure, never for the math
    int step = st.step + 1;
    int[] batch = m.order.next(s.batchSize());
    double lr = s.baseLearningRate() * s.schedule().factor(step);

    Gradient g = lossAndGradient(st, batch);
    long called = System.nanoTime(); // metrics only
    if (!Float.isFinite(g.loss)) {
      throw new NonFiniteException("loss is " + g.loss + " at step " + step);
    }
    double sq = 0;
    for (int i = 0; i < g.grad.length; i++) {
      float v = g.grad[i];
      if (!Float.isFinite(v)) {
        throw new NonFiniteException("gradient element " + i + " is " + v + " at step " + step);
      }
      sq += (double) v * v;
    }
    float gradNorm = (float) Math.sqrt(sq);

    m.optimizer.step(m.prompt, g.grad, lr);
    checkFinite(m.prompt, step);
    st.step = step;
    m.lastLoss = g.loss;
    TrainerMetrics.step(called - started, System.nanoTime() - called);
    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
    listener.onStep(StepEvent.newBuilder().setStep(step).setLoss(g.loss).setLearningRate((float) lr)
        .setGradNorm(gradNorm).setExamplesPerSecond((float) (batch.length / seconds)).build());
    afterStep(st, step);
  }

  private static void checkFinite(float[] prompt, int step) {
    for (int i = 0; i < prompt.length; i++) {
      if (!Float.isFinite(prompt[i])) {
        throw new NonFiniteException("the update made prompt element " + i + " " + prompt[i] + " at step " + step);
      }
    }
  }

  /** One step of every member: one ForwardBackward (unless the runtime's limit splits it), one update each. */
  private void ensembleStep(TrainingState st) {
    long started = System.nanoTime(); // metrics only
    int step = st.step + 1;
    int n = st.members.size();
    int[][] batches = new int[n][];
    for (int i = 0; i < n; i++) {
      batches[i] = st.members.get(i).order.next(s.batchSize());
    }
    double lr = s.baseLearningRate() * s.schedule().factor(step);
    EnsembleGradient g = ensembleLossAndGradient(st, batches);
    long called = System.nanoTime(); // metrics only
    double sq = 0;
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(g.loss[i])) {
        throw new NonFiniteException("loss of ensemble member " + i + " is " + g.loss[i] + " at step " + step);
      }
      for (int k = 0; k < g.grad[i].length; k++) {
        float v = g.grad[i][k];
        if (!Float.isFinite(v)) {
          throw new NonFiniteException("gradient element " + k + " of ensemble member " + i + " is " + v
              + " at step " + step);
        }
        sq += (double) v * v;
      }
    }
    for (int i = 0; i < n; i++) {
      TrainingState.Member m = st.members.get(i);
      m.optimizer.step(m.prompt, g.grad[i], lr);
      checkFinite(m.prompt, step);
      m.lastLoss = g.loss[i];
    }
    st.step = step;
    TrainerMetrics.step(called - started, System.nanoTime() - called);
    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
    // loss: the members' mean; grad_norm: the norm of all members' gradients together.
    listener.onStep(StepEvent.newBuilder().setStep(step).setLoss(st.lastLoss()).setLearningRate((float) lr)
        .setGradNorm((float) Math.sqrt(sq)).setExamplesPerSecond((float) ((long) n * s.batchSize() / seconds))
        .build());
    afterStep(st, step);
  }

  /** Evaluation, the stop decision and the checkpoint after a step. */
  private void afterStep(TrainingState st, int step) {
    if (evaluator != null && (step % s.evalInterval() == 0 || step == s.maxSteps())) {
      evaluate(st);
    }
    if (step >= s.maxSteps() && !st.finished) {
      st.finished = true;
      st.stopReason = "max_steps";
    }
    if (st.finished || step % s.checkpointInterval() == 0) {
      listener.onCheckpoint(st);
    }
  }

  private void evaluate(TrainingState st) {
    Evaluator.Result r;
    if (st.isEnsemble()) {
      List<float[]> prompts = new ArrayList<>();
      for (TrainingState.Member m : st.members) {
        prompts.add(m.prompt);
      }
      r = evaluator.evaluateEnsemble(prompts, st.length, st.dModel, s.ensembleRule());
    } else {
      r = evaluator.evaluate(st.prompt(), st.length, st.dModel);
    }
    boolean best = st.bestPrompt() == null || r.value() > st.bestMetric + s.minDelta();
    if (best) {
      st.bestMetric = r.value();
      st.bestStep = st.step;
      for (int i = 0; i < st.members.size(); i++) {
        TrainingState.Member m = st.members.get(i);
        m.bestPrompt = m.prompt.clone();
        m.bestValue = st.isEnsemble() ? r.memberValues().get(i) : r.value();
      }
      st.evalsWithoutImprovement = 0;
    } else {
      st.evalsWithoutImprovement++;
    }
    EvalEvent.Builder ev = EvalEvent.newBuilder().setStep(st.step).setMetric(evaluator.metricName())
        .setValue(r.value()).setBest(best).setLoss(r.loss());
    if (st.isEnsemble()) {
      double sum = 0;
      for (double v : r.memberValues()) {
        sum += v;
      }
      ev.addAllMemberValues(r.memberValues()).setMemberMean(sum / r.memberValues().size());
    }
    listener.onEval(ev.build());
    if (s.patience() > 0 && st.evalsWithoutImprovement >= s.patience()) {
      st.finished = true;
      st.stopReason = "early_stopping";
    }
  }

  private record Gradient(float loss, float[] grad) {}

  private Gradient lossAndGradient(TrainingState st, int[] batch) {
    PromptRef ref = PromptRef.newBuilder().setTensor(Tensors.float32(st.prompt(), st.length, st.dModel)).build();
    int per = s.maxExamplesPerRequest() > 0 ? s.maxExamplesPerRequest() : batch.length;
    int n = st.prompt().length;
    if (per >= batch.length) {
      ForwardBackwardResponse r = runtime.forwardBackward(request(ref, batch, 0, batch.length));
      return new Gradient(r.getLoss(), gradient(r, st));
    }
    // Accumulate: the batch loss is the mean over all target tokens, so each part weighs tokens_i / tokens.
    int parts = (batch.length + per - 1) / per;
    ForwardBackwardResponse[] answers = new ForwardBackwardResponse[parts];
    long tokens = 0;
    for (int p = 0; p < parts; p++) {
      int from = p * per;
      answers[p] = runtime.forwardBackward(request(ref, batch, from, Math.min(batch.length, from + per)));
      tokens += answers[p].getNumTargetTokens();
    }
    if (tokens <= 0) {
      throw new IllegalStateException("the runtime reported no target tokens for a batch");
    }
    double loss = 0;
    double[] acc = new double[n];
    for (ForwardBackwardResponse r : answers) {
      double w = (double) r.getNumTargetTokens() / tokens;
      loss += w * r.getLoss();
      float[] g = gradient(r, st);
      for (int i = 0; i < n; i++) {
        acc[i] += w * g[i];
      }
    }
    float[] grad = new float[n];
    for (int i = 0; i < n; i++) {
      grad[i] = (float) acc[i];
    }
    return new Gradient((float) loss, grad);
  }

  private ForwardBackwardRequest request(PromptRef ref, int[] batch, int from, int to) {
    ForwardBackwardRequest.Builder b = ForwardBackwardRequest.newBuilder().addPrompts(ref)
        .setTruncation(s.truncation()).setExpectedModelFingerprint(s.expectedModelFingerprint());
    for (int i = from; i < to; i++) {
      TextPair p = train.get(batch[i]);
      b.addExamples(TrainingExample.newBuilder().setInput(Evaluator.text(p.input()))
          .setTarget(Evaluator.text(p.target())).setPromptIndex(0));
    }
    return b.build();
  }

  private record EnsembleGradient(float[] loss, float[][] grad) {}

  /**
   * Each member's mean token loss over its own batch and its gradient. The runtime answers d(L)/dP_i for
   * L = (sum of all examples' NLL) / T, T the request's target tokens; T * that is the gradient of member i's summed
   * NLL in the request, so summing it over requests and dividing by T_i (member i's target tokens, from the
   * per-example counts) gives exactly the gradient of member i's mean token loss: a lone job's gradient.
   */
  private EnsembleGradient ensembleLossAndGradient(TrainingState st, int[][] batches) {
    int n = batches.length;
    int size = st.prompt().length;
    int total = 0;
    for (int[] b : batches) {
      total += b.length;
    }
    int[] member = new int[total];
    int[] record = new int[total];
    for (int i = 0, k = 0; i < n; i++) {
      for (int r : batches[i]) {
        member[k] = i;
        record[k++] = r;
      }
    }
    PromptRef[] refs = new PromptRef[n];
    for (int i = 0; i < n; i++) {
      refs[i] = PromptRef.newBuilder().setTensor(Tensors.float32(st.members.get(i).prompt, st.length, st.dModel))
          .build();
    }
    int per = s.maxExamplesPerRequest() > 0 ? s.maxExamplesPerRequest() : total;
    double[][] acc = new double[n][size];
    double[] nll = new double[n];
    long[] tokens = new long[n];
    for (int from = 0; from < total; from += per) {
      int to = Math.min(total, from + per);
      int first = member[from];
      int last = member[to - 1];
      // Only the members this request's examples use travel with it; their indices start at 0.
      ForwardBackwardRequest.Builder b = ForwardBackwardRequest.newBuilder().setTruncation(s.truncation())
          .setExpectedModelFingerprint(s.expectedModelFingerprint());
      for (int i = first; i <= last; i++) {
        b.addPrompts(refs[i]);
      }
      for (int k = from; k < to; k++) {
        TextPair p = train.get(record[k]);
        b.addExamples(TrainingExample.newBuilder().setInput(Evaluator.text(p.input()))
            .setTarget(Evaluator.text(p.target())).setPromptIndex(member[k] - first));
      }
      ForwardBackwardResponse r = runtime.forwardBackward(b.build());
      if (r.getExamplesCount() != to - from) {
        throw new IllegalStateException("expected " + (to - from) + " example losses, got " + r.getExamplesCount());
      }
      for (int k = from; k < to; k++) {
        var e = r.getExamples(k - from);
        nll[member[k]] += e.getSumNll();
        tokens[member[k]] += e.getNumTargetTokens();
      }
      float[][] grads = gradients(r, st, last - first + 1);
      double scale = r.getNumTargetTokens();
      for (int i = first; i <= last; i++) {
        float[] g = grads[i - first];
        double[] a = acc[i];
        for (int k = 0; k < size; k++) {
          a[k] += scale * g[k];
        }
      }
    }
    float[] loss = new float[n];
    float[][] grad = new float[n][size];
    for (int i = 0; i < n; i++) {
      if (tokens[i] <= 0) {
        throw new IllegalStateException("the runtime reported no target tokens for ensemble member " + i);
      }
      loss[i] = (float) (nll[i] / tokens[i]);
      for (int k = 0; k < size; k++) {
        grad[i][k] = (float) (acc[i][k] / tokens[i]);
      }
    }
    return new EnsembleGradient(loss, grad);
  }

  /** The prompt's gradient, NaN and Inf kept (the caller turns them into a NON_FINITE failure). */
  private static float[] gradient(ForwardBackwardResponse r, TrainingState st) {
    return gradients(r, st, 1)[0];
  }

  /** The {@code count} prompts' gradients, NaN and Inf kept. */
  private static float[][] gradients(ForwardBackwardResponse r, TrainingState st, int count) {
    if (r.getPromptGradientsCount() != count) {
      throw new IllegalStateException("expected " + count + " prompt gradient" + (count == 1 ? "" : "s")
          + ", got " + r.getPromptGradientsCount());
    }
    float[][] out = new float[count][];
    for (int i = 0; i < count; i++) {
      out[i] = gradientTensor(r.getPromptGradients(i), st);
    }
    return out;
  }

  private static float[] gradientTensor(Tensor t, TrainingState st) {
    int size = st.prompt().length;
    if (t.getDtype() != DType.FLOAT32 || t.getShapeCount() != 2 || t.getShape(0) != st.length
        || t.getShape(1) != st.dModel || t.getData().size() != size * Float.BYTES) {
      throw new IllegalStateException("gradient has shape " + t.getShapeList() + " " + t.getDtype()
          + ", expected [" + st.length + ", " + st.dModel + "] FLOAT32");
    }
    float[] g = new float[size];
    FloatBuffer fb = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    fb.get(g);
    return g;
  }
}
