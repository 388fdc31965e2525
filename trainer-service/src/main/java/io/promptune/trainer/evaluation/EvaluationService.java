package io.promptune.trainer.evaluation;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.VersionKind;
import io.promptune.api.v1.VersionSelector;
import io.promptune.common.errors.ServiceException;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RemoteFailure;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.dataset.DatasetRepository;
import io.promptune.trainer.dataset.DatasetRow;
import io.promptune.trainer.dataset.DatasetService;
import io.promptune.trainer.format.ResolvedFormat;
import io.promptune.trainer.format.TaskFormats;
import io.promptune.trainer.job.JobPlan;
import io.promptune.trainer.job.JobService;
import io.promptune.trainer.job.JobSpecs;
import io.promptune.trainer.queue.JobRepository;
import io.promptune.trainer.queue.JobRow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * SubmitEvaluation: checks what can be checked now (the version exists and fits the runtime's model, the dataset has
 * the split, the task format renders every record to be evaluated), fills in the defaults and queues the job. Also
 * adds an evaluation job's spec and outcome to its Job message.
 */
@ApplicationScoped
public class EvaluationService {

  public static final int DEFAULT_BATCH_SIZE = 32;

  @Inject
  DatasetService datasetService;

  @Inject
  DatasetRepository datasets;

  @Inject
  JobRepository jobs;

  @Inject
  EvaluationRepository evaluations;

  @Inject
  RuntimeClient runtime;

  @Inject
  RegistryClient registry;

  public Job submit(EvaluationSpec spec, CallerIdentity caller) {
    JobService.requireRole(caller, CallerIdentity.Role.TRAINER, "submit evaluations");
    if (!VersionSelectors.isSet(spec.getVersion())) {
      throw invalid("version", "a version selector is required (an id, \"name:3\" or \"name@prod\")");
    }
    if (spec.getMaxExamples() < 0) {
      throw invalid("max_examples", "max_examples must be >= 0 (0 means all)");
    }
    if (spec.getBatchSize() < 0 || spec.getBatchSize() > JobSpecs.MAX_BATCH_SIZE) {
      throw invalid("batch_size", "batch_size must be in 0.." + JobSpecs.MAX_BATCH_SIZE + " (0 means "
          + DEFAULT_BATCH_SIZE + ")");
    }
    Split split = spec.getSplit() == Split.SPLIT_UNSPECIFIED ? Split.VALIDATION : spec.getSplit();
    if (split != Split.TRAIN && split != Split.VALIDATION) {
      throw invalid("split", "split must be TRAIN or VALIDATION");
    }
    DatasetRow ds = datasetService.require(spec.getDataset());
    if (split == Split.VALIDATION && ds.numValidation() == 0) {
      throw invalid("split", "dataset " + ds.name() + " has no validation split; evaluate on TRAIN or upload one"
          + " with a validation split");
    }
    ModelInfo model = RemoteFailure.dependency("model runtime", runtime::modelInfo);
    PromptVersion version = resolve(spec.getVersion(), caller);
    if (!version.getBaseModelFingerprint().isEmpty()
        && !version.getBaseModelFingerprint().equals(model.getFingerprint())) {
      throw new ServiceException(ErrorReason.MODEL_MISMATCH, "version " + version.getPromptName() + ":"
          + version.getNumber() + " was trained for base model " + version.getBaseModelFingerprint()
          + ", the runtime serves " + model.getModelId() + " (" + model.getFingerprint() + ")",
          Map.of("expected", version.getBaseModelFingerprint(), "runtime", model.getFingerprint()));
    }

    TaskFormat requested = spec.hasTaskFormat() ? spec.getTaskFormat() : trainedFormat(version, caller)
        .orElseThrow(() -> invalid("task_format", "task_format is required: the registry does not record a"
            + " built-in task format for version " + version.getPromptName() + ":" + version.getNumber()
            + " (only the built-in formats' names and templates are recorded, not a custom label map)"));
    ResolvedFormat format;
    EvalMode mode;
    try {
      format = TaskFormats.resolve(requested);
    } catch (IllegalArgumentException e) {
      throw invalid("task_format", e.getMessage());
    }
    try {
      mode = JobPlan.resolveEvalMode(spec.getMode(), format);
    } catch (IllegalArgumentException e) {
      throw invalid("mode", e.getMessage());
    }
    String splitName = EvaluationJob.splitName(split);
    int count;
    try {
      count = EvaluationExamples.build(format, mode, datasets.records(ds.id(), split), spec.getMaxExamples(),
          splitName).size();
    } catch (IllegalArgumentException e) {
      throw invalid("task_format", "dataset " + ds.name() + " does not fit task format \"" + format.name() + "\": "
          + e.getMessage());
    }
    if (count == 0) {
      throw invalid("split", "dataset " + ds.name() + " has no " + splitName + " records");
    }

    EvaluationSpec normalized = spec.toBuilder().setDataset(ds.id()).setSplit(split).setTaskFormat(format.toProto())
        .setMode(mode).setBatchSize(spec.getBatchSize() == 0 ? DEFAULT_BATCH_SIZE : spec.getBatchSize())
        .setTruncation(spec.getTruncation() == Truncation.TRUNCATION_UNSPECIFIED ? Truncation.REJECT
            : spec.getTruncation())
        .build();
    UUID id = UUID.randomUUID();
    JobRow row = jobs.insert(id, JobKind.JOB_KIND_EVALUATION, JobSpec.getDefaultInstance(), ds.id(), caller.actor(),
        c -> evaluations.insert(c, id, normalized));
    return decorate(List.of(row)).get(0);
  }

  /** Jobs as messages, evaluation jobs with their spec and (when finished) outcome. */
  public List<Job> decorate(List<JobRow> rows) {
    Collection<UUID> ids = rows.stream().filter(JobRow::evaluation).map(JobRow::id).toList();
    Map<UUID, EvaluationRecord> evals = evaluations.findAll(ids);
    return rows.stream().map(r -> {
      Job job = r.toProto();
      EvaluationRecord e = evals.get(r.id());
      if (e == null) {
        return job;
      }
      Job.Builder b = job.toBuilder().setEvaluation(e.spec());
      if (e.outcome() != null) {
        b.setEvaluationOutcome(e.outcome());
      }
      return b.build();
    }).toList();
  }

  /** The format the version (for an ensemble: itself, else its first member) was trained with, if recorded. */
  private Optional<TaskFormat> trainedFormat(PromptVersion version, CallerIdentity caller) {
    Optional<TaskFormat> own = TrainedFormat.of(version);
    if (own.isPresent() || version.getKind() != VersionKind.ENSEMBLE
        || version.getEnsemble().getMembersCount() == 0) {
      return own;
    }
    String first = version.getEnsemble().getMembers(0).getVersionId();
    return TrainedFormat.of(resolve(VersionSelector.newBuilder().setVersionId(first).build(), caller));
  }

  private PromptVersion resolve(VersionSelector selector, CallerIdentity caller) {
    try {
      return registry.getVersion(GetVersionRequest.newBuilder().setVersion(selector).setOmitTensor(true).build(),
          caller);
    } catch (RuntimeException e) {
      RemoteFailure f = RemoteFailure.of(e).orElse(null);
      if (f != null && f.notFound()) {
        throw new ServiceException(ErrorReason.NOT_FOUND, "version " + VersionSelectors.describe(selector)
            + " not found in the registry: " + f.description(), Map.of("field", "spec.version"));
      }
      throw RemoteFailure.unavailableDependency("prompt registry", e);
    }
  }



  private static ServiceException invalid(String field, String message) {
    return new ServiceException(ErrorReason.INVALID_ARGUMENT, message, Map.of("field", "spec." + field));
  }
}
