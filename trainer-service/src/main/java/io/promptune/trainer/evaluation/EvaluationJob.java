package io.promptune.trainer.evaluation;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.EvaluationProgressEvent;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.ExampleScores;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.Generation;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.StateEvent;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.VersionKind;
import io.promptune.api.v1.VersionSelector;
import io.promptune.common.errors.ServiceException;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RemoteFailure;
import io.promptune.trainer.clients.Retrier;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.dataset.DataRecord;
import io.promptune.trainer.format.ResolvedFormat;
import io.promptune.trainer.format.TaskFormats;
import io.promptune.trainer.format.TextPair;
import io.promptune.trainer.observability.TrainerMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * Runs one claimed evaluation job: resolves the version once (the first attempt pins its id; a resumed attempt
 * reuses it, so an alias moving meanwhile changes nothing), checks its base model against the runtime, evaluates the
 * examples batch by batch from where the last attempt stopped (progress is stored after every batch with its
 * EvaluationProgressEvent), records the result with the registry (idempotent by job id) and stores the outcome.
 *
 * <p>The prompt goes to the runtime as a version reference; for an ENSEMBLE version the runtime runs every member
 * and combines their answers ({@code best_index} / the generation's text are the combined answer), and the member
 * answers it returns give each member's value. Rank classification counts an example right when the runtime's
 * {@code best_index} candidate is the target label; exact match when the greedy output equals the target after
 * trimming whitespace. Failures are thrown as {@link ServiceException} (NOT_FOUND, MODEL_MISMATCH, ...), runtime and
 * registry refusals as they come; the caller turns them into a FAILED job.
 */
public final class EvaluationJob {

  /** SUCCEEDED: {@code outcome} is stored; STOPPED: asked to stop (cancel, shutdown); LOST: the lease is gone. */
  public enum Status { SUCCEEDED, STOPPED, LOST }

  public record Result(Status status, EvaluationOutcome outcome) {
    public String summary() {
      return outcome == null ? status.name() : "evaluated: " + outcome.getMetric() + " " + outcome.getValue()
          + " over " + outcome.getExamples() + " examples of " + outcome.getSplit();
    }
  }

  /** Who runs it and for whom. */
  public record Identity(UUID jobId, int attempt, String submittedBy, String worker) {}

  /**
   * @param records         a dataset split's records in dataset order
   * @param maxPerRequest   runtime rows per call at most (0: the runtime's max_batch_examples); an example of an
   *                        ensemble of N takes N rows
   * @param stopping        polled before every batch (cancel, shutdown, lease lost)
   */
  public record Deps(EvaluationStore store, RuntimeClient runtime, RegistryClient registry, Retrier retrier,
      BiFunction<String, Split, List<DataRecord>> records, int maxPerRequest, BooleanSupplier stopping) {}

  private final Identity id;
  private final Deps d;
  private final CallerIdentity caller;

  public EvaluationJob(Identity id, Deps deps) {
    this.id = id;
    this.d = deps;
    this.caller = new CallerIdentity(id.submittedBy(), CallerIdentity.Role.TRAINER);
  }

  public static String metricName(EvalMode mode) {
    return mode == EvalMode.RANK_CLASSIFICATION ? "accuracy" : "exact_match";
  }

  public Result run() {
    EvaluationRecord rec = d.store().find(id.jobId()).orElseThrow(() -> new ServiceException(ErrorReason.INTERNAL,
        "evaluation job " + id.jobId() + " has no evaluation row"));
    if (rec.outcome() != null) { // recorded by an attempt that died before marking the job SUCCEEDED
      return new Result(Status.SUCCEEDED, rec.outcome());
    }
    EvaluationSpec spec = rec.spec();
    ModelInfo model = d.runtime().modelInfo();
    boolean resumed = rec.versionId() != null;
    PromptVersion version = resolve(resumed ? VersionSelector.newBuilder().setVersionId(rec.versionId()).build()
        : spec.getVersion());
    if (!version.getBaseModelFingerprint().isEmpty()
        && !version.getBaseModelFingerprint().equals(model.getFingerprint())) {
      throw new ServiceException(ErrorReason.MODEL_MISMATCH, "version " + describe(version) + " was trained for base"
          + " model " + version.getBaseModelFingerprint() + ", the runtime serves " + model.getModelId() + " ("
          + model.getFingerprint() + ")");
    }
    int members = version.getKind() == VersionKind.ENSEMBLE ? version.getEnsemble().getMembersCount() : 0;

    ResolvedFormat format = TaskFormats.resolve(spec.getTaskFormat());
    EvalMode mode = spec.getMode();
    String split = splitName(spec.getSplit());
    List<TextPair> examples = EvaluationExamples.build(format, mode, d.records().apply(spec.getDataset(),
        spec.getSplit()), spec.getMaxExamples(), split);
    int n = examples.size();

    Progress progress;
    if (!resumed) {
      progress = Progress.start(members);
      if (!d.store().pin(id.jobId(), id.attempt(), version.getId(), n, members, state("evaluating version "
          + describe(version) + (members > 0 ? " (ensemble of " + members + ")" : "") + " on " + n + " "
          + split + " examples, " + metricName(mode)))) {
        return new Result(Status.LOST, null);
      }
    } else {
      progress = rec.progress();
      if (rec.total() == null || rec.total() != n || progress.memberCorrect().length != members) {
        throw new ServiceException(ErrorReason.INTERNAL, "stored progress " + progress + " does not fit "
            + n + " examples and " + members + " members");
      }
      if (!d.store().append(id.jobId(), id.attempt(), state("resuming at example " + progress.done() + " of " + n))) {
        return new Result(Status.LOST, null);
      }
      TrainerMetrics.resumed();
    }

    PromptRef prompt = PromptRef.newBuilder().setVersion(VersionSelector.newBuilder().setVersionId(version.getId()))
        .build();
    int maxNewTokens = mode == EvalMode.EXACT_MATCH ? maxNewTokens(examples, model) : 0;
    int batch = Math.max(1, spec.getBatchSize());
    // The runtime counts an example once per ensemble member against its max_batch_examples.
    int limit = d.maxPerRequest() > 0 ? d.maxPerRequest() : model.getMaxBatchExamples();
    int perRequest = limit > 0 ? Math.min(batch, Math.max(1, limit / Math.max(1, members))) : batch;
    for (int from = (int) progress.done(); from < n; from += batch) {
      if (d.stopping().getAsBoolean()) {
        return new Result(Status.STOPPED, null);
      }
      List<TextPair> part = examples.subList(from, Math.min(n, from + batch));
      int correct = 0;
      int[] memberCorrect = new int[members];
      for (int r = 0; r < part.size(); r += perRequest) {
        List<TextPair> req = part.subList(r, Math.min(part.size(), r + perRequest));
        correct += mode == EvalMode.RANK_CLASSIFICATION ? rank(prompt, req, format.labels(), spec, memberCorrect)
            : exactMatch(prompt, req, maxNewTokens, spec, memberCorrect);
      }
      progress = progress.plus(part.size(), correct, memberCorrect);
      JobEvent event = JobEvent.newBuilder().setEvaluationProgress(EvaluationProgressEvent.newBuilder()
          .setExamplesDone(progress.done()).setExamplesTotal(n).setCorrect(progress.correct())).build();
      if (!d.store().saveProgress(id.jobId(), id.attempt(), progress, event)) {
        return new Result(Status.LOST, null);
      }
      TrainerMetrics.evaluatedExamples(part.size());
    }

    EvaluationOutcome.Builder outcome = EvaluationOutcome.newBuilder().setVersionId(version.getId())
        .setDatasetId(spec.getDataset()).setSplit(split).setMetric(metricName(mode))
        .setValue(ratio(progress.correct(), n)).setExamples(n);
    for (long c : progress.memberCorrect()) {
      outcome.addMemberValues(ratio(c, n));
    }
    RecordEvaluationRequest record = RecordEvaluationRequest.newBuilder()
        .setVersion(VersionSelector.newBuilder().setVersionId(version.getId())).setDatasetId(spec.getDataset())
        .setSplit(split).setMetric(outcome.getMetric()).setValue(outcome.getValue()).setExamples(n)
        .setJobId(id.jobId().toString()).build();
    Evaluation stored = d.retrier().call("registry RecordEvaluation",
        () -> d.registry().recordEvaluation(record, caller));
    EvaluationOutcome done = outcome.setEvaluationId(stored.getId()).build();
    if (!d.store().saveOutcome(id.jobId(), id.attempt(), done)) {
      return new Result(Status.LOST, null);
    }
    return new Result(Status.SUCCEEDED, done);
  }

  /** Lower-case split name, as the registry stores it. */
  public static String splitName(Split split) {
    return split.name().toLowerCase(Locale.ROOT);
  }

  private static double ratio(long correct, long n) {
    return n == 0 ? 0 : (double) correct / n;
  }

  private PromptVersion resolve(VersionSelector selector) {
    try {
      return d.retrier().call("registry GetVersion", () -> d.registry().getVersion(
          GetVersionRequest.newBuilder().setVersion(selector).setOmitTensor(true).build(), caller));
    } catch (RuntimeException e) {
      RemoteFailure f = RemoteFailure.of(e).orElse(null);
      if (f != null && f.notFound()) {
        throw new ServiceException(ErrorReason.NOT_FOUND, "version " + VersionSelectors.describe(selector)
            + " not found in the registry: " + f.description(), Map.of("field", "spec.version"));
      }
      throw e;
    }
  }

  private static String describe(PromptVersion v) {
    return v.getPromptName() + ":" + v.getNumber() + " (" + v.getId() + ")";
  }

  private JobEvent state(String reason) {
    return JobEvent.newBuilder().setState(StateEvent.newBuilder().setState(JobState.RUNNING).setWorker(id.worker())
        .setReason(reason)).build();
  }

  private int rank(PromptRef prompt, List<TextPair> part, List<String> labels, EvaluationSpec spec,
      int[] memberCorrect) {
    ScoreRequest.Builder req = ScoreRequest.newBuilder().addPrompts(prompt).setTruncation(spec.getTruncation());
    for (TextPair p : part) {
      ScoreExample.Builder ex = ScoreExample.newBuilder().setInput(text(p.input()));
      for (String label : labels) {
        ex.addCandidates(text(label));
      }
      req.addExamples(ex);
    }
    ScoreResponse r = d.runtime().score(req.build());
    if (r.getExamplesCount() != part.size()) {
      throw new ServiceException(ErrorReason.INTERNAL, "the runtime scored " + r.getExamplesCount() + " of "
          + part.size() + " examples");
    }
    int correct = 0;
    for (int i = 0; i < part.size(); i++) {
      ExampleScores s = r.getExamples(i);
      String target = part.get(i).target();
      if (chose(labels, s.getBestIndex(), target)) {
        correct++;
      }
      requireMembers(s.getMembersCount(), memberCorrect.length);
      for (int m = 0; m < memberCorrect.length; m++) {
        if (chose(labels, s.getMembers(m).getBestIndex(), target)) {
          memberCorrect[m]++;
        }
      }
    }
    return correct;
  }

  private static boolean chose(List<String> labels, int index, String target) {
    return index >= 0 && index < labels.size() && labels.get(index).equals(target);
  }

  private int exactMatch(PromptRef prompt, List<TextPair> part, int maxNewTokens, EvaluationSpec spec,
      int[] memberCorrect) {
    GenerateRequest.Builder req = GenerateRequest.newBuilder().addPrompts(prompt).setMaxNewTokens(maxNewTokens)
        .setNumBeams(1).setTruncation(spec.getTruncation());
    for (TextPair p : part) {
      req.addInputs(GenerateInput.newBuilder().setInput(text(p.input())));
    }
    List<Generation> gens = d.runtime().generate(req.build()).getGenerationsList();
    if (gens.size() != part.size()) {
      throw new ServiceException(ErrorReason.INTERNAL, "the runtime answered " + gens.size() + " of "
          + part.size() + " inputs");
    }
    int correct = 0;
    for (int i = 0; i < part.size(); i++) {
      String target = part.get(i).target().strip();
      Generation g = gens.get(i);
      if (g.getText().strip().equals(target)) {
        correct++;
      }
      requireMembers(g.getMembersCount(), memberCorrect.length);
      for (int m = 0; m < memberCorrect.length; m++) {
        if (g.getMembers(m).getText().strip().equals(target)) {
          memberCorrect[m]++;
        }
      }
    }
    return correct;
  }

  private static void requireMembers(int got, int expected) {
    if (got != expected) {
      throw new ServiceException(ErrorReason.INTERNAL, "the runtime returned " + got + " member answers for an"
          + " ensemble of " + expected);
    }
  }

  /** Longest target in tokens plus EOS, within the runtime's limit: enough for exact match to succeed. */
  private int maxNewTokens(List<TextPair> examples, ModelInfo model) {
    int longest = 1;
    for (int from = 0; from < examples.size(); from += 256) {
      TokenizeRequest.Builder req = TokenizeRequest.newBuilder().setAddEos(true);
      for (TextPair p : examples.subList(from, Math.min(examples.size(), from + 256))) {
        req.addTexts(p.target());
      }
      for (var t : d.runtime().tokenize(req.build()).getTextsList()) {
        longest = Math.max(longest, t.getIdsCount());
      }
    }
    return model.getMaxTargetTokens() > 0 ? Math.min(longest, model.getMaxTargetTokens()) : longest;
  }

  private static Text text(String s) {
    return Text.newBuilder().setText(s).build();
  }
}
