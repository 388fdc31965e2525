package io.promptune.trainer.job;

import io.promptune.api.CallerIdentity;
import io.promptune.api.Tensors;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.VersionSelector;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RemoteFailure;
import io.promptune.trainer.clients.Retrier;
import io.promptune.trainer.loop.TrainingState;
import io.promptune.trainer.optim.Optimizers;
import io.promptune.trainer.schedule.LrSchedule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Publishes a finished job's best prompt as a new registry version, with its metrics, hyperparameters and lineage
 * (INITIALIZED_FROM the init version when it belongs to the same prompt, TRANSFERRED_FROM when it belongs to
 * another one). Idempotent: a version this job already published with the same tensor is found and reused, so a
 * retry after a lost answer or a worker crash never publishes twice.
 */
public final class Publisher {

  private final RegistryClient registry;
  private final Retrier retrier;

  public Publisher(RegistryClient registry, Retrier retrier) {
    this.registry = registry;
    this.retrier = retrier;
  }

  public PromptVersion publish(UUID jobId, JobSpec spec, ModelInfo model, TrainingState state, String metricName,
      String submittedBy) {
    CallerIdentity caller = new CallerIdentity(submittedBy, CallerIdentity.Role.TRAINER);
    Tensor tensor = Tensors.float32(state.resultPrompt(), state.length(), state.dModel());
    PublishVersionRequest request = versionRequest(jobId, spec, model, spec.getInit(), tensor,
        hyperparameters(spec, state), metrics(state, metricName), caller);
    return publishOnce(request, jobId, Publisher.sha256(tensor.getData().toByteArray()), -1, 20, caller);
  }

  /** An ensemble job's versions: each member (in member order), then the ensemble over them. */
  public record Published(PromptVersion ensemble, List<PromptVersion> members) {}

  /**
   * Publishes every member of an ensemble job as its own version (hyperparameters name its seed and index), then
   * an ensemble version over them (CreateEnsemble), with the ensemble's metrics. Idempotent as a whole: each member
   * and the ensemble are looked up first (by job, content and member index), so a worker that crashed between two
   * of these calls publishes only what is missing.
   */
  public Published publishEnsemble(UUID jobId, JobSpec spec, ModelInfo model, TrainingState state, String metricName,
      String submittedBy) {
    CallerIdentity caller = new CallerIdentity(submittedBy, CallerIdentity.Role.TRAINER);
    int n = state.members().size();
    List<PromptVersion> members = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      TrainingState.Member m = state.members().get(i);
      Tensor tensor = Tensors.float32(m.resultPrompt(), state.length(), state.dModel());
      SortedMap<String, String> h = hyperparameters(spec, state);
      h.put("seed", Long.toUnsignedString(JobSpecs.memberSeed(spec, i)));
      h.put("init", JobSpecs.memberInit(spec, i).getMethodCase().name().toLowerCase(java.util.Locale.ROOT));
      h.put(MEMBER_KEY, Integer.toString(i));
      h.put("ensemble_size", Integer.toString(n));
      SortedMap<String, Double> metrics = new TreeMap<>();
      if (!Double.isNaN(m.bestValue())) {
        metrics.put(metricName, m.bestValue());
        metrics.put("best_step", (double) state.bestStep());
      }
      if (Float.isFinite(m.lastLoss())) {
        metrics.put("train_loss", (double) m.lastLoss());
      }
      metrics.put("steps", (double) state.step());
      PublishVersionRequest request = versionRequest(jobId, spec, model, JobSpecs.memberInit(spec, i), tensor, h,
          metrics, caller);
      members.add(publishOnce(request, jobId, Publisher.sha256(tensor.getData().toByteArray()), i, 100, caller));
    }

    CombinationRule rule = spec.getEnsembleRule() == CombinationRule.MEAN_LOG_PROB ? CombinationRule.MEAN_LOG_PROB
        : CombinationRule.MAJORITY_VOTE;
    SortedMap<String, String> h = hyperparameters(spec, state);
    h.put("ensemble_size", Integer.toString(n));
    h.put("ensemble_rule", rule.name());
    SortedMap<String, Double> metrics = metrics(state, metricName);
    if (!Double.isNaN(state.bestMetric())) {
      double sum = 0;
      for (TrainingState.Member m : state.members()) {
        sum += m.bestValue();
      }
      metrics.put(metricName + "_member_mean", sum / n);
    }
    CreateEnsembleRequest.Builder req = CreateEnsembleRequest.newBuilder().setPromptName(spec.getOutputPrompt())
        .setRule(rule).setTrainingJobId(jobId.toString()).putAllHyperparameters(h).putAllMetrics(metrics)
        .setCreatePromptIfMissing(true).setTask(spec.getTask());
    List<String> shas = new ArrayList<>(n);
    for (PromptVersion v : members) {
      req.addMembers(VersionSelector.newBuilder().setVersionId(v.getId()));
      shas.add(v.getSha256());
    }
    String digest = ensembleDigest(rule, shas);
    CreateEnsembleRequest request = req.build();
    PromptVersion ensemble = retrier.call("registry CreateEnsemble", () -> {
      PromptVersion existing = findPublished(spec.getOutputPrompt(), jobId, digest, -1, 100, caller);
      return existing != null ? existing : registry.createEnsemble(request, caller);
    });
    return new Published(ensemble, List.copyOf(members));
  }

  /**
   * The registry's content digest of an ensemble (documented with PromptVersion.ensemble): sha256 of
   * "promptune-ensemble-v1\n&lt;rule&gt;\n" and each member's sha256 followed by "\n".
   */
  static String ensembleDigest(CombinationRule rule, List<String> memberSha256s) {
    StringBuilder text = new StringBuilder("promptune-ensemble-v1\n").append(rule.name()).append('\n');
    for (String sha : memberSha256s) {
      text.append(sha).append('\n');
    }
    return sha256(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The hyperparameter naming an ensemble member's index (also what tells two members apart on re-publish). */
  static final String MEMBER_KEY = "ensemble_member";

  private PublishVersionRequest versionRequest(UUID jobId, JobSpec spec, ModelInfo model, PromptInit init,
      Tensor tensor, SortedMap<String, String> hyperparameters, SortedMap<String, Double> metrics,
      CallerIdentity caller) {
    PublishVersionRequest.Builder req = PublishVersionRequest.newBuilder()
        .setPromptName(spec.getOutputPrompt())
        .setTensor(tensor)
        .setBaseModelId(model.getModelId())
        .setBaseModelFingerprint(spec.getBaseModelFingerprint())
        .setTokenizerFingerprint(model.getTokenizerFingerprint())
        .setInitMethod(initMethod(init))
        .setTrainingJobId(jobId.toString())
        .putAllHyperparameters(hyperparameters)
        .putAllMetrics(metrics)
        .setCreatePromptIfMissing(true)
        .setTask(spec.getTask());
    if (init.hasFromVersion()) {
      String parentId = init.getFromVersion().getVersion().getVersionId();
      PromptVersion parent = retrier.call("registry GetVersion", () -> registry.getVersion(
          GetVersionRequest.newBuilder().setVersion(init.getFromVersion().getVersion())
              .setOmitTensor(true).build(), caller));
      LineageRelation relation = parent.getPromptName().equals(spec.getOutputPrompt())
          ? LineageRelation.INITIALIZED_FROM : LineageRelation.TRANSFERRED_FROM;
      req.addParents(LineageEdge.newBuilder().setParentVersionId(parentId).setRelation(relation));
    }
    return req.build();
  }

  private PromptVersion publishOnce(PublishVersionRequest request, UUID jobId, String sha, int member, int pageSize,
      CallerIdentity caller) {
    return retrier.call("registry PublishVersion", () -> {
      PromptVersion existing = findPublished(request.getPromptName(), jobId, sha, member, pageSize, caller);
      return existing != null ? existing : registry.publishVersion(request, caller);
    });
  }

  /**
   * A version of this job with this content among the prompt's newest {@code pageSize}; for an ensemble member
   * ({@code member >= 0}) also with that member index, so two members that happen to be equal stay two versions.
   */
  private PromptVersion findPublished(String prompt, UUID jobId, String sha, int member, int pageSize,
      CallerIdentity caller) {
    try {
      var page = registry.listVersions(ListVersionsRequest.newBuilder().setPromptName(prompt)
          .setPage(PageRequest.newBuilder().setPageSize(pageSize)).build(), caller);
      for (PromptVersion v : page.getVersionsList()) {
        if (v.getTrainingJobId().equals(jobId.toString()) && v.getSha256().equals(sha)
            && (member < 0 || Integer.toString(member).equals(v.getHyperparametersOrDefault(MEMBER_KEY, "")))) {
          return v;
        }
      }
      return null;
    } catch (RuntimeException e) {
      if (RemoteFailure.of(e).map(RemoteFailure::notFound).orElse(false)) {
        return null; // the prompt does not exist yet
      }
      throw e;
    }
  }

  /** A published version and the dev value to record for it (NaN: none, nothing is recorded). */
  public record Evaluated(String versionId, double value) {}

  /**
   * Records the training's final dev metric with the registry for each published version: on dataset
   * {@code datasetId}'s validation split over {@code examples} records. Keyed by the job id, so repeating it after
   * a crash answers the stored records instead of adding new ones.
   */
  public void recordEvaluations(UUID jobId, String datasetId, String metric, long examples, List<Evaluated> results,
      String submittedBy) {
    CallerIdentity caller = new CallerIdentity(submittedBy, CallerIdentity.Role.TRAINER);
    for (Evaluated e : results) {
      if (Double.isNaN(e.value()) || metric.isEmpty()) {
        continue;
      }
      RecordEvaluationRequest request = RecordEvaluationRequest.newBuilder()
          .setVersion(VersionSelector.newBuilder().setVersionId(e.versionId())).setDatasetId(datasetId)
          .setSplit("validation").setMetric(metric).setValue(e.value()).setExamples(examples)
          .setJobId(jobId.toString()).build();
      retrier.call("registry RecordEvaluation", () -> registry.recordEvaluation(request, caller));
    }
  }

  static InitMethod initMethod(JobSpec spec) {
    return initMethod(spec.getInit());
  }

  static InitMethod initMethod(PromptInit init) {
    return switch (init.getMethodCase()) {
      case RANDOM_UNIFORM -> InitMethod.RANDOM_UNIFORM;
      case SAMPLED_VOCAB -> InitMethod.SAMPLED_VOCAB;
      case CLASS_LABELS -> InitMethod.CLASS_LABELS;
      case TEXT -> InitMethod.TEXT;
      case FROM_VERSION -> InitMethod.FROM_VERSION;
      case METHOD_NOT_SET -> InitMethod.INIT_METHOD_UNSPECIFIED;
    };
  }

  /** Hyperparameter holding the job's TaskFormat as base64 protobuf bytes. */
  public static final String TASK_FORMAT_PROTO = "task_format_proto";

  static SortedMap<String, String> hyperparameters(JobSpec spec, TrainingState state) {
    SortedMap<String, String> h = new TreeMap<>(state.optimizer().hyperparameters());
    h.put("learning_rate", Double.toString(Optimizers.learningRate(spec.getOptimizer())));
    h.put("prompt_length", Integer.toString(spec.getPromptLength()));
    h.put("batch_size", Integer.toString(spec.getBatchSize()));
    h.put("max_steps", Integer.toString(spec.getMaxSteps()));
    h.put("schedule", LrSchedule.of(spec.getSchedule(), spec.getMaxSteps()).describe());
    h.put("seed", Long.toUnsignedString(spec.getSeed()));
    h.put("init", spec.getInit().getMethodCase().name().toLowerCase(java.util.Locale.ROOT));
    h.put("task_format", spec.getTaskFormat().getName());
    h.put("input_template", spec.getTaskFormat().getInputTemplate());
    h.put("target_template", spec.getTaskFormat().getTargetTemplate());
    // The whole format (label map included), so an evaluation job can score this version on another dataset
    // without being told the format again; `labels` is the readable label set (the nearest-token view marks them).
    h.put(TASK_FORMAT_PROTO, java.util.Base64.getEncoder().encodeToString(spec.getTaskFormat().toByteArray()));
    if (spec.getTaskFormat().getLabelsCount() > 0) {
      h.put("labels", String.join(",", spec.getTaskFormat().getLabelsList()));
    }
    h.put("dataset", spec.getDataset());
    h.put("eval_mode", spec.getEvalMode().name());
    h.put("eval_interval", Integer.toString(spec.getEvalInterval()));
    h.put("early_stopping_patience", Integer.toString(spec.getEarlyStopping().getPatience()));
    h.put("truncation", spec.getTruncation().name());
    h.put("steps_trained", Integer.toString(state.step()));
    h.put("stop_reason", state.stopReason());
    return h;
  }

  static SortedMap<String, Double> metrics(TrainingState state, String metricName) {
    SortedMap<String, Double> m = new TreeMap<>();
    if (!Double.isNaN(state.bestMetric())) {
      m.put(metricName, state.bestMetric());
      m.put("best_step", (double) state.bestStep());
    }
    if (Float.isFinite(state.lastLoss())) {
      m.put("train_loss", (double) state.lastLoss());
    }
    m.put("steps", (double) state.step());
    return m;
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
