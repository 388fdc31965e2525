package io.promptune.trainer.job;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.CancelJobRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ListJobsRequest;
import io.promptune.api.v1.ListJobsResponse;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.VersionSelector;
import io.promptune.common.errors.ServiceException;
import io.promptune.common.paging.PageTokens;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RemoteFailure;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.dataset.DatasetRepository;
import io.promptune.trainer.dataset.DatasetRow;
import io.promptune.trainer.dataset.DatasetService;
import io.promptune.trainer.evaluation.EvaluationService;
import io.promptune.trainer.db.Times;
import io.promptune.trainer.queue.JobRepository;
import io.promptune.trainer.queue.JobRow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Submitting, reading, listing and cancelling jobs (the worker side is in the queue package). */
@ApplicationScoped
public class JobService {

  @Inject
  DatasetService datasetService;

  @Inject
  DatasetRepository datasets;

  @Inject
  JobRepository jobs;

  @Inject
  RuntimeClient runtime;

  @Inject
  RegistryClient registry;

  @Inject
  EvaluationService evaluations;

  public Job submit(JobSpec spec, CallerIdentity caller) {
    requireRole(caller, CallerIdentity.Role.TRAINER, "submit jobs");
    DatasetRow ds = datasetService.require(spec.getDataset());
    ModelInfo model = RemoteFailure.dependency("model runtime", runtime::modelInfo);
    UUID id = UUID.randomUUID();
    JobSpec normalized = JobSpecs.normalize(spec, id, ds.id(), ds.fields(), ds.numValidation() > 0, model,
        selector -> resolveVersion(selector, caller));
    try {
      JobPlan.build(normalized, datasets.records(ds.id(), Split.TRAIN), datasets.records(ds.id(), Split.VALIDATION));
    } catch (IllegalArgumentException e) {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT,
          "dataset " + ds.name() + " does not fit task format \"" + normalized.getTaskFormat().getName() + "\": "
              + e.getMessage(), Map.of("field", "spec.task_format"));
    }
    return jobs.insert(id, normalized, ds.id(), caller.actor()).toProto();
  }

  private PromptVersion resolveVersion(VersionSelector selector, CallerIdentity caller) {
    try {
      return registry.getVersion(GetVersionRequest.newBuilder().setVersion(selector).setOmitTensor(true).build(),
          caller);
    } catch (RuntimeException e) {
      if (RemoteFailure.of(e).map(RemoteFailure::notFound).orElse(false)) {
        throw new ServiceException(ErrorReason.NOT_FOUND,
            "init version not found in the registry: " + RemoteFailure.of(e).orElseThrow().description(),
            Map.of("field", "spec.init.from_version"));
      }
      throw RemoteFailure.unavailableDependency("prompt registry", e);
    }
  }



  public JobRow require(String jobId) {
    UUID id;
    try {
      id = UUID.fromString(jobId);
    } catch (IllegalArgumentException e) {
      throw new ServiceException(ErrorReason.NOT_FOUND, "no job \"" + jobId + "\"", Map.of("job_id", jobId));
    }
    return jobs.find(id).orElseThrow(() -> new ServiceException(ErrorReason.NOT_FOUND,
        "no job \"" + jobId + "\"", Map.of("job_id", jobId)));
  }

  public Job get(String jobId) {
    return evaluations.decorate(List.of(require(jobId))).get(0);
  }

  public ListJobsResponse list(ListJobsRequest request) {
    int size = PageTokens.size(request.getPage());
    List<JobState> states = request.getStatesList().stream().filter(s -> s != JobState.JOB_STATE_UNSPECIFIED)
        .distinct().toList();
    List<JobKind> kinds = request.getKindsList().stream()
        .map(k -> k == JobKind.JOB_KIND_UNSPECIFIED ? JobKind.JOB_KIND_TRAINING : k).distinct().toList();
    String scope = "jobs|" + String.join(",", states.stream().map(Enum::name).sorted().toList())
        + (kinds.isEmpty() ? "" : "|" + String.join(",", kinds.stream().map(Enum::name).sorted().toList()));
    List<JobRow> rows = jobs.list(size + 1, PageTokens.decodeKeyset(request.getPage().getPageToken(), scope),
        states, kinds);
    ListJobsResponse.Builder out = ListJobsResponse.newBuilder();
    out.addAllJobs(evaluations.decorate(rows.subList(0, Math.min(size, rows.size()))));
    if (rows.size() > size) {
      JobRow last = rows.get(size - 1);
      out.setNextPageToken(PageTokens.encode(scope,
          new PageTokens.Keyset(Times.micros(last.createTime()), last.id().toString())));
    }
    return out.build();
  }

  public Job cancel(CancelJobRequest request, CallerIdentity caller) {
    requireRole(caller, CallerIdentity.Role.TRAINER, "cancel jobs");
    JobRow row = require(request.getJobId());
    String reason = "cancelled by " + caller.actor() + (request.getReason().isBlank() ? "" : ": " + request.getReason());
    switch (jobs.cancel(row.id(), reason)) {
      case ALREADY_FINISHED -> {
        JobRow now = jobs.find(row.id()).orElseThrow();
        throw new ServiceException(ErrorReason.JOB_STATE,
            "job " + row.id() + " is already " + now.state(), Map.of("state", now.state().name()));
      }
      case NOT_FOUND -> throw new ServiceException(ErrorReason.NOT_FOUND, "no job \"" + request.getJobId() + "\"");
      default -> {
        return jobs.find(row.id()).orElseThrow().toProto();
      }
    }
  }

  public static void requireRole(CallerIdentity caller, CallerIdentity.Role role, String what) {
    if (!caller.role().atLeast(role)) {
      throw new ServiceException(ErrorReason.PERMISSION_DENIED,
          "the " + role.name().toLowerCase(java.util.Locale.ROOT) + " role is needed to " + what + "; "
              + caller.actor() + " has " + caller.role().name().toLowerCase(java.util.Locale.ROOT));
    }
  }
}
