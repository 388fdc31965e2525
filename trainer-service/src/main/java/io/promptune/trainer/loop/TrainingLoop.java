package io.promptune.trainer.loop;

import io.promptune.api.Tensors;
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
import java.util.List;

/**
 * The optimisation loop. One step: take the next batch in the seeded data order, send P and the batch to the
 * runtime's ForwardBackward (split into requests of at most {@code maxExamplesPerRequest} examples, whose gradients
 * are combined weighted by target tokens, which equals the gradient of the whole batch's mean token loss), check
 * the loss and gradient are finite, apply the optimiser in plain float math, then evaluate every
 * {@code evalInterval} steps and at the last step, keep the best prompt, count evaluations without improvement
 * for early stopping, and hand the state out for a checkpoint every {@code checkpointInterval} steps and at the end.
 *
 * <p>Nothing here reads the clock or iterates a hash map in a way that reaches the math: the same state and the
 * same runtime answers give a bit-identical prompt, which is what makes resume-from-checkpoint exact.
 */
public final class TrainingLoop {

  public record Settings(int maxSteps, int batchSize, int evalInterval, int checkpointInterval, int patience,
      double minDelta, double baseLearningRate, LrSchedule schedule, int maxExamplesPerRequest,
      String expectedModelFingerprint, Truncation truncation) {}

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
    long started = System.nanoTime(); // only for the examples/second figure, never for the math
    int step = st.step + 1;
    int[] batch = st.order.next(s.batchSize());
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

    st.optimizer.step(st.prompt, g.grad, lr);
    for (int i = 0; i < st.prompt.length; i++) {
      if (!Float.isFinite(st.prompt[i])) {
        throw new NonFiniteException("the update made prompt element " + i + " " + st.prompt[i] + " at step " + step);
      }
    }
    st.step = step;
    st.lastLoss = g.loss;
    TrainerMetrics.step(called - started, System.nanoTime() - called);
    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
    listener.onStep(StepEvent.newBuilder().setStep(step).setLoss(g.loss).setLearningRate((float) lr)
        .setGradNorm(gradNorm).setExamplesPerSecond((float) (batch.length / seconds)).build());

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
    Evaluator.Result r = evaluator.evaluate(st.prompt, st.length, st.dModel);
    boolean best = st.bestPrompt == null || r.value() > st.bestMetric + s.minDelta();
    if (best) {
      st.bestMetric = r.value();
      st.bestStep = st.step;
      st.bestPrompt = st.prompt.clone();
      st.evalsWithoutImprovement = 0;
    } else {
      st.evalsWithoutImprovement++;
    }
    listener.onEval(EvalEvent.newBuilder().setStep(st.step).setMetric(evaluator.metricName()).setValue(r.value())
        .setBest(best).setLoss(r.loss()).build());
    if (s.patience() > 0 && st.evalsWithoutImprovement >= s.patience()) {
      st.finished = true;
      st.stopReason = "early_stopping";
    }
  }

  private record Gradient(float loss, float[] grad) {}

  private Gradient lossAndGradient(TrainingState st, int[] batch) {
    PromptRef ref = PromptRef.newBuilder().setTensor(Tensors.float32(st.prompt, st.length, st.dModel)).build();
    int per = s.maxExamplesPerRequest() > 0 ? s.maxExamplesPerRequest() : batch.length;
    int n = st.prompt.length;
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

  /** The prompt's gradient, NaN and Inf kept (the caller turns them into a NON_FINITE failure). */
  private static float[] gradient(ForwardBackwardResponse r, TrainingState st) {
    if (r.getPromptGradientsCount() != 1) {
      throw new IllegalStateException("expected 1 prompt gradient, got " + r.getPromptGradientsCount());
    }
    Tensor t = r.getPromptGradients(0);
    if (t.getDtype() != DType.FLOAT32 || t.getShapeCount() != 2 || t.getShape(0) != st.length
        || t.getShape(1) != st.dModel || t.getData().size() != st.prompt.length * Float.BYTES) {
      throw new IllegalStateException("gradient has shape " + t.getShapeList() + " " + t.getDtype()
          + ", expected [" + st.length + ", " + st.dModel + "] FLOAT32");
    }
    float[] g = new float[st.prompt.length];
    FloatBuffer fb = t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    fb.get(g);
    return g;
  }
}
