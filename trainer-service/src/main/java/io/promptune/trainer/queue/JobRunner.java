package io.promptune.trainer.queue;

import io.promptune.api.CallerIdentity;
import io.promptune.common.auth.CallerContext;
import io.promptune.common.db.DatabaseException;
import io.promptune.common.errors.ServiceException;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishedEvent;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.StateEvent;
import io.promptune.api.v1.StepEvent;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.EvalMode;
import io.promptune.trainer.checkpoint.CheckpointCodec;
import io.promptune.trainer.checkpoint.CheckpointRepository;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RemoteFailure;
import io.promptune.trainer.clients.Retrier;
import io.promptune.trainer.clients.RetryingRuntimeClient;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.config.TrainerConfig;
import io.promptune.trainer.dataset.DatasetRepository;
import io.promptune.trainer.evaluation.EvaluationJob;
import io.promptune.trainer.evaluation.EvaluationRepository;
import io.promptune.trainer.format.TextPair;
import io.promptune.trainer.init.InitializedPrompt;
import io.promptune.trainer.init.PromptInitializer;
import io.promptune.trainer.job.JobPlan;
import io.promptune.trainer.job.JobSpecs;
import io.promptune.trainer.job.Publisher;
import io.promptune.trainer.loop.Evaluator;
import io.promptune.trainer.loop.LoopListener;
import io.promptune.trainer.loop.NonFiniteException;
import io.promptune.trainer.loop.TrainingLoop;
import io.promptune.trainer.loop.TrainingState;
import io.promptune.trainer.observability.JobTracing;
import io.promptune.trainer.observability.TrainerMetrics;
import io.promptune.trainer.optim.Optimizers;
import io.promptune.trainer.schedule.LrSchedule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Runs one claimed job to its end (or until it must stop): checks the model, loads the data, starts from the
 * newest checkpoint or initialises P (and checkpoints step 0), runs the loop, publishes the best prompt, and
 * finishes the row. Every write is fenced by the claim's attempt number; a background heartbeat keeps the lease
 * while a step, an evaluation or a retry takes long.
 *
 * <p>Failures: NaN/Inf → FAILED NON_FINITE; a non-transient runtime or registry error → FAILED with its reason;
 * transient ones are retried (see {@link Retrier}). Database trouble never fails a job: the runner just stops and
 * the lease expiry hands the job to the next worker, which resumes from the checkpoint.
 */
public final class JobRunner {

  private static final Logger LOG = Logger.getLogger(JobRunner.class);

  /** Everything a runner needs, shared by all runners of a process. */
  public record Deps(JobRepository jobs, CheckpointRepository checkpoints, DatasetRepository datasets,
      RuntimeClient runtime, RegistryClient registry, TrainerConfig config, ScheduledExecutorService heartbeats,
      EvaluationRepository evaluations) {}

  private final Deps d;
  private final JobRow job;
  private final String worker;
  private final BooleanSupplier shuttingDown;
  private volatile boolean lost;
  private volatile boolean cancelRequested;
  private volatile String cancelReason = "";
  private volatile io.opentelemetry.api.trace.SpanContext jobSpan;

  public JobRunner(Deps deps, JobRow claimed, String worker, BooleanSupplier shuttingDown) {
    this.d = deps;
    this.job = claimed;
    this.worker = worker;
    this.shuttingDown = shuttingDown;
  }

  private boolean stopping() {
    return lost || cancelRequested || shuttingDown.getAsBoolean();
  }

  private void apply(JobRepository.Control ctl) {
    if (!ctl.owned()) {
      lost = true;
    } else if (ctl.cancelRequested()) {
      cancelReason = ctl.cancelReason();
      cancelRequested = true;
    }
  }

  public void run() {
    long hb = Math.max(100, d.config().heartbeatInterval().toMillis());
    // On the shared heartbeat thread, with the job id in the MDC for the lines it logs.
    ScheduledFuture<?> heartbeat = d.heartbeats().scheduleWithFixedDelay(() -> JobTracing.withJobId(job.id(), () -> {
      try {
        apply(d.jobs().heartbeat(job.id(), job.attempts(), d.config().leaseDuration()));
      } catch (RuntimeException e) {
        LOG.warnf("heartbeat of job %s failed: %s", job.id(), e.getMessage());
      }
    }), hb, hb, TimeUnit.MILLISECONDS);
    JobTracing.Handle trace = JobTracing.job(job.id(), job.attempts());
    jobSpan = trace.spanContext();
    LOG.infof("worker %s runs job %s (attempt %d)", worker, job.id(), job.attempts()); // in the job's span and MDC
    try {
      // Every call this job makes (runtime steps, registry reads and publishing) is made for its submitter: the
      // service credentials forward this identity, so audit and the runtime's per-principal limits see the person.
      CallerContext.with(new CallerIdentity(job.submittedBy(), CallerIdentity.Role.TRAINER)).run(this::runJob);
    } catch (NonFiniteException e) {
      fail(ErrorReason.NON_FINITE, e.getMessage());
    } catch (Retrier.Aborted e) {
      stop();
    } catch (Retrier.GaveUp e) {
      fail(ErrorReason.UNAVAILABLE_DEPENDENCY, e.getMessage());
    } catch (ServiceException e) {
      fail(e.reason(), e.getMessage());
    } catch (DatabaseException e) {
      LOG.errorf("job %s: database failure, leaving it to be resumed after its lease expires: %s", job.id(),
          e.getMessage());
    } catch (IllegalArgumentException e) {
      fail(ErrorReason.INVALID_ARGUMENT, e.getMessage());
    } catch (RuntimeException e) {
      RemoteFailure remote = RemoteFailure.of(e).orElse(null);
      trace.fail(e);
      if (remote != null) { // a runtime or registry call refused for good
        fail(remote.reason(), remote.summary());
      } else {
        LOG.errorf(e, "job %s failed", job.id());
        fail(ErrorReason.INTERNAL, e.toString());
      }
    } finally {
      heartbeat.cancel(false);
      trace.close();
    }
  }

  private void runJob() {
    JobSpec spec = job.spec();
    Retrier retrier = new Retrier(d.config().retry().initialBackoff(), d.config().retry().maxBackoff(),
        d.config().retry().maxElapsed(), this::stopping);
    RuntimeClient runtime = new RetryingRuntimeClient(d.runtime(), retrier);
    if (job.evaluation()) {
      runEvaluation(runtime, retrier);
      return;
    }

    ModelInfo model = runtime.modelInfo();
    if (!model.getFingerprint().equals(spec.getBaseModelFingerprint())) {
      fail(ErrorReason.MODEL_MISMATCH, "the runtime now serves " + model.getModelId() + " ("
          + model.getFingerprint() + "), the job was submitted for " + spec.getBaseModelFingerprint());
      return;
    }
    JobPlan plan = JobPlan.build(spec, d.datasets().records(job.datasetId(), Split.TRAIN),
        d.datasets().records(job.datasetId(), Split.VALIDATION));
    int length = spec.getPromptLength();
    int dModel = model.getDModel();
    int members = JobSpecs.members(spec);

    TrainingState state;
    var checkpoint = d.checkpoints().latest(job.id());
    if (checkpoint.isPresent()) {
      try {
        state = CheckpointCodec.decode(checkpoint.get().data(),
            () -> Optimizers.create(spec.getOptimizer(), length, dModel), members, plan.train().size());
      } catch (IOException e) {
        fail(ErrorReason.INTERNAL, "checkpoint at step " + checkpoint.get().step() + " is unusable: "
            + e.getMessage());
        return;
      }
      TrainerMetrics.resumed();
      d.jobs().appendOwned(job.id(), job.attempts(), JobEvent.newBuilder().setState(StateEvent.newBuilder()
          .setState(JobState.RUNNING).setWorker(worker)
          .setReason("resuming from the checkpoint at step " + state.step())).build());
    } else {
      CallerIdentity caller = new CallerIdentity(job.submittedBy(), CallerIdentity.Role.TRAINER);
      PromptInitializer initializer = new PromptInitializer(runtime, retryingRegistry(retrier), caller);
      List<TrainingState.Member> list = new ArrayList<>(members);
      for (int i = 0; i < members; i++) { // member i: its own init (member_inits[i] or init) and seed + i
        long seed = JobSpecs.memberSeed(spec, i);
        InitializedPrompt init = initializer.initialize(JobSpecs.memberInit(spec, i), length, dModel,
            model.getVocabSize(), plan.format().labels(), seed);
        list.add(TrainingState.Member.initial(init.values(), Optimizers.create(spec.getOptimizer(), length, dModel),
            seed, plan.train().size()));
      }
      state = new TrainingState(0, length, dModel, list, Double.NaN, 0, 0, false, "");
      if (!saveCheckpoint(state)) {
        return;
      }
    }

    int perRequest = d.config().maxExamplesPerRequest() > 0 ? d.config().maxExamplesPerRequest()
        : model.getMaxBatchExamples();
    Evaluator evaluator = null;
    if (!plan.validation().isEmpty()) {
      evaluator = new Evaluator(runtime, plan.evalMode(), plan.validation(), plan.format().labels(),
          plan.evalMode() == EvalMode.EXACT_MATCH ? maxNewTokens(runtime, plan.validation(), model) : 0,
          perRequest > 0 ? perRequest : spec.getBatchSize(), spec.getTruncation(), d.config().eval().computeLoss());
    }
    TrainingLoop.Settings settings = new TrainingLoop.Settings(spec.getMaxSteps(), spec.getBatchSize(),
        spec.getEvalInterval(), spec.getCheckpointInterval(), spec.getEarlyStopping().getPatience(),
        spec.getEarlyStopping().getMinDelta(), Optimizers.learningRate(spec.getOptimizer()),
        LrSchedule.of(spec.getSchedule(), spec.getMaxSteps()), perRequest, spec.getBaseModelFingerprint(),
        spec.getTruncation(), spec.getEnsembleRule());
    TrainingLoop loop = new TrainingLoop(settings, runtime, plan.train(), evaluator, new Listener());
    TrainingLoop.Outcome outcome = loop.run(state);
    if (outcome == TrainingLoop.Outcome.STOPPED || stopping()) {
      if (outcome == TrainingLoop.Outcome.STOPPED && shuttingDown.getAsBoolean() && !lost && !cancelRequested) {
        saveCheckpoint(state); // at a step boundary: the next worker resumes exactly here
      }
      stop();
      return;
    }
    if (job.publishedVersionId() == null && !publish(spec, model, state, evaluator, retrier)) {
      return;
    }
    if (d.jobs().finish(job.id(), job.attempts(), JobState.SUCCEEDED, "finished: " + state.stopReason()
        + " at step " + state.step(), "")) {
      TrainerMetrics.jobFinished("SUCCEEDED");
    }
  }

  /** An evaluation job (issue #14): the same lease, heartbeat, cancel and failure handling as training. */
  private void runEvaluation(RuntimeClient runtime, Retrier retrier) {
    EvaluationJob.Result r = new EvaluationJob(
        new EvaluationJob.Identity(job.id(), job.attempts(), job.submittedBy(), worker),
        new EvaluationJob.Deps(d.evaluations(), runtime, d.registry(), retrier, d.datasets()::records,
            d.config().maxExamplesPerRequest(), this::stopping)).run();
    switch (r.status()) {
      case SUCCEEDED -> {
        LOG.infof("job %s %s", job.id(), r.summary());
        if (d.jobs().finish(job.id(), job.attempts(), JobState.SUCCEEDED, r.summary(), "")) {
          TrainerMetrics.jobFinished("SUCCEEDED");
        }
      }
      case LOST -> {
        lost = true;
        stop();
      }
      case STOPPED -> stop();
    }
  }

  /**
   * Publishes the result (one version, or each member and an ensemble over them), records the final dev metric
   * with the registry against what was published (idempotent: keyed by the job id), and then stores the published
   * ids. Every registry step is idempotent, so a crash anywhere in here is repaired by the next attempt.
   */
  private boolean publish(JobSpec spec, ModelInfo model, TrainingState state, Evaluator evaluator, Retrier retrier) {
    Publisher publisher = new Publisher(retryingRegistry(retrier), retrier);
    String metric = evaluator == null ? "" : evaluator.metricName();
    PublishedEvent.Builder event = PublishedEvent.newBuilder();
    List<Publisher.Evaluated> results = new ArrayList<>();
    PromptVersion v;
    if (state.isEnsemble()) {
      Publisher.Published p = publisher.publishEnsemble(job.id(), spec, model, state, metric, job.submittedBy());
      v = p.ensemble();
      for (int i = 0; i < p.members().size(); i++) {
        event.addMemberVersionIds(p.members().get(i).getId());
        results.add(new Publisher.Evaluated(p.members().get(i).getId(), state.members().get(i).bestValue()));
      }
    } else {
      v = publisher.publish(job.id(), spec, model, state, metric, job.submittedBy());
    }
    results.add(0, new Publisher.Evaluated(v.getId(), state.bestMetric()));
    if (evaluator != null) {
      publisher.recordEvaluations(job.id(), job.datasetId(), metric, evaluator.size(), results, job.submittedBy());
    }
    return d.jobs().recordPublished(job.id(), job.attempts(), event.setVersionId(v.getId())
        .setPromptName(v.getPromptName()).setVersionNumber(v.getNumber()).build());
  }

  /** Longest dev target in tokens, plus EOS, within the runtime's limit: enough for exact match to succeed. */
  private static int maxNewTokens(RuntimeClient runtime, List<TextPair> dev, ModelInfo model) {
    int longest = 1;
    for (int from = 0; from < dev.size(); from += 256) {
      TokenizeRequest.Builder req = TokenizeRequest.newBuilder().setAddEos(true);
      for (TextPair p : dev.subList(from, Math.min(dev.size(), from + 256))) {
        req.addTexts(p.target());
      }
      for (var t : runtime.tokenize(req.build()).getTextsList()) {
        longest = Math.max(longest, t.getIdsCount());
      }
    }
    return model.getMaxTargetTokens() > 0 ? Math.min(longest, model.getMaxTargetTokens()) : longest;
  }

  private RegistryClient retryingRegistry(Retrier retrier) {
    RegistryClient r = d.registry();
    return new RegistryClient() {
      @Override
      public PromptVersion getVersion(io.promptune.api.v1.GetVersionRequest request, CallerIdentity caller) {
        return retrier.call("registry GetVersion", () -> r.getVersion(request, caller));
      }

      @Override
      public PromptVersion publishVersion(io.promptune.api.v1.PublishVersionRequest request, CallerIdentity caller) {
        return r.publishVersion(request, caller); // Publisher retries it around its idempotency check
      }

      @Override
      public PromptVersion createEnsemble(io.promptune.api.v1.CreateEnsembleRequest request, CallerIdentity caller) {
        return r.createEnsemble(request, caller); // Publisher retries it around its idempotency check
      }

      @Override
      public io.promptune.api.v1.Evaluation recordEvaluation(io.promptune.api.v1.RecordEvaluationRequest request,
          CallerIdentity caller) {
        return r.recordEvaluation(request, caller); // Publisher retries it (idempotent: it carries the job id)
      }

      @Override
      public io.promptune.api.v1.ListVersionsResponse listVersions(io.promptune.api.v1.ListVersionsRequest request,
          CallerIdentity caller) {
        return r.listVersions(request, caller);
      }
    };
  }

  private boolean saveCheckpoint(TrainingState state) {
    byte[] data = CheckpointCodec.encode(state);
    boolean ok = d.checkpoints().save(job.id(), job.attempts(), state.step(), data, d.config().checkpointsKept());
    if (!ok) {
      lost = true;
    } else {
      TrainerMetrics.checkpointWritten(data.length);
    }
    return ok;
  }

  /** Stops without finishing: cancelled (→ CANCELLED), lease lost (nothing to write), or shutdown (release). */
  private void stop() {
    if (lost) {
      LOG.infof("job %s: lease lost, another worker holds it now", job.id());
      TrainerMetrics.leaseLost();
    } else if (cancelRequested) {
      if (d.jobs().finish(job.id(), job.attempts(), JobState.CANCELLED, cancelReason, "")) {
        TrainerMetrics.jobFinished("CANCELLED");
      }
    } else if (shuttingDown.getAsBoolean()) {
      d.jobs().release(job.id(), job.attempts(), "released by " + worker
          + " at shutdown; the next worker resumes from the last checkpoint");
    }
  }

  private void fail(ErrorReason reason, String message) {
    LOG.warnf("job %s failed: %s: %s", job.id(), reason, message);
    try {
      if (d.jobs().finish(job.id(), job.attempts(), JobState.FAILED, reason.name() + ": " + message, reason.name())) {
        TrainerMetrics.jobFinished("FAILED");
      }
    } catch (DatabaseException e) {
      LOG.errorf("job %s: could not record the failure: %s", job.id(), e.getMessage());
    }
  }

  private final class Listener implements LoopListener {
    @Override
    public boolean shouldStop() {
      return stopping();
    }

    @Override
    public Runnable stepStarted(int step) {
      JobTracing.Handle h = JobTracing.step(job.id(), jobSpan, step);
      return h::close;
    }

    @Override
    public void onStep(StepEvent step) {
      LOG.debugf("job %s step %d loss %.6f lr %.4g grad-norm %.4g", job.id(), step.getStep(), step.getLoss(),
          step.getLearningRate(), step.getGradNorm());
      apply(d.jobs().recordStep(job.id(), job.attempts(), d.config().leaseDuration(), step));
    }

    @Override
    public void onEval(EvalEvent eval) {
      LOG.infof("job %s step %d %s %.4f%s (dev loss %.4f)", job.id(), eval.getStep(), eval.getMetric(),
          eval.getValue(), eval.getBest() ? " best" : "", eval.getLoss());
      apply(d.jobs().recordEval(job.id(), job.attempts(), d.config().leaseDuration(), eval));
    }

    @Override
    public void onCheckpoint(TrainingState state) {
      saveCheckpoint(state);
    }
  }
}
