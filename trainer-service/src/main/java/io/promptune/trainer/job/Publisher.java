package io.promptune.trainer.job;

import io.promptune.api.CallerIdentity;
import io.promptune.api.Tensors;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.Tensor;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RemoteFailure;
import io.promptune.trainer.clients.Retrier;
import io.promptune.trainer.loop.TrainingState;
import io.promptune.trainer.optim.Optimizers;
import io.promptune.trainer.schedule.LrSchedule;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
    String sha = sha256(tensor.getData().toByteArray());
    PublishVersionRequest.Builder req = PublishVersionRequest.newBuilder()
        .setPromptName(spec.getOutputPrompt())
        .setTensor(tensor)
        .setBaseModelId(model.getModelId())
        .setBaseModelFingerprint(spec.getBaseModelFingerprint())
        .setTokenizerFingerprint(model.getTokenizerFingerprint())
        .setInitMethod(initMethod(spec))
        .setTrainingJobId(jobId.toString())
        .putAllHyperparameters(hyperparameters(spec, state))
        .putAllMetrics(metrics(state, metricName))
        .setCreatePromptIfMissing(true)
        .setTask(spec.getTask());
    if (spec.getInit().hasFromVersion()) {
      String parentId = spec.getInit().getFromVersion().getVersion().getVersionId();
      PromptVersion parent = retrier.call("registry GetVersion", () -> registry.getVersion(
          GetVersionRequest.newBuilder().setVersion(spec.getInit().getFromVersion().getVersion())
              .setOmitTensor(true).build(), caller));
      LineageRelation relation = parent.getPromptName().equals(spec.getOutputPrompt())
          ? LineageRelation.INITIALIZED_FROM : LineageRelation.TRANSFERRED_FROM;
      req.addParents(LineageEdge.newBuilder().setParentVersionId(parentId).setRelation(relation));
    }
    PublishVersionRequest request = req.build();
    return retrier.call("registry PublishVersion", () -> {
      PromptVersion existing = findPublished(spec.getOutputPrompt(), jobId, sha, caller);
      return existing != null ? existing : registry.publishVersion(request, caller);
    });
  }

  private PromptVersion findPublished(String prompt, UUID jobId, String sha, CallerIdentity caller) {
    try {
      var page = registry.listVersions(ListVersionsRequest.newBuilder().setPromptName(prompt)
          .setPage(PageRequest.newBuilder().setPageSize(20)).build(), caller);
      for (PromptVersion v : page.getVersionsList()) {
        if (v.getTrainingJobId().equals(jobId.toString()) && v.getSha256().equals(sha)) {
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

  static InitMethod initMethod(JobSpec spec) {
    return switch (spec.getInit().getMethodCase()) {
      case RANDOM_UNIFORM -> InitMethod.RANDOM_UNIFORM;
      case SAMPLED_VOCAB -> InitMethod.SAMPLED_VOCAB;
      case CLASS_LABELS -> InitMethod.CLASS_LABELS;
      case TEXT -> InitMethod.TEXT;
      case FROM_VERSION -> InitMethod.FROM_VERSION;
      case METHOD_NOT_SET -> InitMethod.INIT_METHOD_UNSPECIFIED;
    };
  }

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
