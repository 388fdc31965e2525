package io.promptune.gateway.testing;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.CancelJobRequest;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.EvaluationProgressEvent;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.PublishedEvent;
import io.promptune.api.v1.SubmitEvaluationRequest;
import io.promptune.api.v1.VersionSelector;
import io.promptune.api.v1.GetDatasetRequest;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ListDatasetsRequest;
import io.promptune.api.v1.ListDatasetsResponse;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.ListJobEventsResponse;
import io.promptune.api.v1.ListJobsRequest;
import io.promptune.api.v1.ListJobsResponse;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.StateEvent;
import io.promptune.api.v1.StepEvent;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.UploadDatasetRequest;
import io.promptune.api.v1.WatchJobRequest;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A trainer with one job, "job-1" (running), one finished job "job-done", a finished three-member ensemble job
 * "job-ens" (members m-0, m-1, m-2, ensemble v-ens; its eval event has member values 0.5, 0.75, 1.0, mean 0.75), a
 * finished evaluation job "job-eval", and uploads kept in memory.
 */
public class FakeTrainer extends TrainerGrpc.TrainerImplBase {

  /** What the last upload carried: its header and each split's bytes. */
  public record Upload(DatasetHeader header, byte[] train, byte[] validation) {}

  public final AtomicReference<Upload> lastUpload = new AtomicReference<>();
  public final AtomicReference<SubmitJobRequest> lastSubmit = new AtomicReference<>();
  public final AtomicReference<SubmitEvaluationRequest> lastEvaluation = new AtomicReference<>();
  public final AtomicReference<ListJobsRequest> lastList = new AtomicReference<>();

  static Job job(String id, JobState state) {
    return Job.newBuilder().setId(id).setState(state).setStep(3).setLastLoss(0.5f).setSubmittedBy("bob").build();
  }

  static List<JobEvent> events(String id) {
    List<JobEvent> l = new ArrayList<>();
    l.add(JobEvent.newBuilder().setJobId(id).setSequence(1).setState(StateEvent.newBuilder()
        .setState(JobState.RUNNING)).build());
    for (int s = 1; s <= 3; s++) {
      l.add(JobEvent.newBuilder().setJobId(id).setSequence(1 + s).setStep(StepEvent.newBuilder().setStep(s)
          .setLoss(2f / s).setLearningRate(0.3f)).build());
    }
    l.add(JobEvent.newBuilder().setJobId(id).setSequence(5).setEval(EvalEvent.newBuilder().setStep(3)
        .setMetric("accuracy").setValue(0.75).setBest(true)).build());
    l.add(JobEvent.newBuilder().setJobId(id).setSequence(6).setState(StateEvent.newBuilder()
        .setState(JobState.SUCCEEDED)).build());
    return l;
  }

  static Job ensembleJob() {
    return job("job-ens", JobState.SUCCEEDED).toBuilder().setKind(JobKind.JOB_KIND_TRAINING)
        .setSpec(JobSpec.newBuilder().setDataset("d").setMaxSteps(10).setEnsembleSize(3))
        .setPublishedVersionId("v-ens").addPublishedMemberVersionIds("m-0").addPublishedMemberVersionIds("m-1")
        .addPublishedMemberVersionIds("m-2").build();
  }

  static Job evaluationJob() {
    return job("job-eval", JobState.SUCCEEDED).toBuilder().setKind(JobKind.JOB_KIND_EVALUATION)
        .setEvaluation(EvaluationSpec.newBuilder().setVersion(VersionSelector.newBuilder().setRef("s:2"))
            .setDataset("movies").setSplit(Split.VALIDATION).setMode(EvalMode.RANK_CLASSIFICATION))
        .setEvaluationOutcome(EvaluationOutcome.newBuilder().setVersionId("v-2").setDatasetId("ds-movies")
            .setSplit("validation").setMetric("accuracy").setValue(0.8).setExamples(40).setEvaluationId(12))
        .build();
  }

  static List<JobEvent> ensembleEvents() {
    return List.of(
        JobEvent.newBuilder().setJobId("job-ens").setSequence(1).setEval(EvalEvent.newBuilder().setStep(10)
            .setMetric("accuracy").setValue(0.9).setBest(true).addMemberValues(0.5).addMemberValues(0.75)
            .addMemberValues(1.0).setMemberMean(0.75)).build(),
        JobEvent.newBuilder().setJobId("job-ens").setSequence(2).setPublished(PublishedEvent.newBuilder()
            .setVersionId("v-ens").setPromptName("s").setVersionNumber(4).addMemberVersionIds("m-0")
            .addMemberVersionIds("m-1").addMemberVersionIds("m-2")).build(),
        JobEvent.newBuilder().setJobId("job-ens").setSequence(3).setEvaluationProgress(
            EvaluationProgressEvent.newBuilder().setExamplesDone(32).setExamplesTotal(40).setCorrect(30)).build());
  }

  private static <T> boolean known(String id, StreamObserver<T> out) {
    if (!id.equals("job-1") && !id.equals("job-done") && !id.equals("job-slow") && !id.equals("job-ens")
        && !id.equals("job-eval")) {
      out.onError(ApiErrors.notFound("job '" + id + "' does not exist"));
      return false;
    }
    return true;
  }

  @Override
  public StreamObserver<UploadDatasetRequest> uploadDataset(StreamObserver<Dataset> out) {
    return new StreamObserver<>() {
      DatasetHeader header;
      final ByteArrayOutputStream train = new ByteArrayOutputStream();
      final ByteArrayOutputStream validation = new ByteArrayOutputStream();

      @Override
      public void onNext(UploadDatasetRequest r) {
        if (r.hasHeader()) {
          header = r.getHeader();
        } else {
          (r.getChunk().getSplit() == Split.VALIDATION ? validation : train).writeBytes(
              r.getChunk().getData().toByteArray());
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        lastUpload.set(new Upload(header, train.toByteArray(), validation.toByteArray()));
        long lines = train.toString().lines().filter(s -> !s.isBlank()).count();
        out.onNext(Dataset.newBuilder().setId("ds-" + header.getName()).setName(header.getName())
            .setFormat(header.getFormat()).setNumTrain(lines)
            .setNumValidation(validation.toString().lines().filter(s -> !s.isBlank()).count()).build());
        out.onCompleted();
      }
    };
  }

  @Override
  public void getDataset(GetDatasetRequest request, StreamObserver<Dataset> out) {
    out.onError(ApiErrors.notFound("dataset '" + request.getDataset() + "' does not exist"));
  }

  @Override
  public void listDatasets(ListDatasetsRequest request, StreamObserver<ListDatasetsResponse> out) {
    out.onNext(ListDatasetsResponse.getDefaultInstance());
    out.onCompleted();
  }

  @Override
  public void submitJob(SubmitJobRequest request, StreamObserver<Job> out) {
    lastSubmit.set(request);
    out.onNext(Job.newBuilder().setId("job-1").setSpec(request.getSpec()).setState(JobState.QUEUED).build());
    out.onCompleted();
  }

  @Override
  public void submitEvaluation(SubmitEvaluationRequest request, StreamObserver<Job> out) {
    lastEvaluation.set(request);
    if (request.getSpec().getVersion().getRef().startsWith("nope")) {
      out.onError(ApiErrors.notFound("version '" + request.getSpec().getVersion().getRef() + "' does not exist"));
      return;
    }
    out.onNext(Job.newBuilder().setId("job-eval").setKind(JobKind.JOB_KIND_EVALUATION)
        .setEvaluation(request.getSpec()).setState(JobState.QUEUED).build());
    out.onCompleted();
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> out) {
    if (InspectFixtures.getJob(request.getJobId(), out)) {
      return;
    }
    if (known(request.getJobId(), out)) {
      out.onNext(request.getJobId().equals("job-ens") ? ensembleJob() : request.getJobId().equals("job-eval")
          ? evaluationJob() : job(request.getJobId(), request.getJobId().equals("job-1") ? JobState.RUNNING
          : JobState.SUCCEEDED));
      out.onCompleted();
    }
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> out) {
    lastList.set(request);
    out.onNext(ListJobsResponse.newBuilder().addJobs(job("job-1", JobState.RUNNING)).build());
    out.onCompleted();
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> out) {
    if (!known(request.getJobId(), out)) {
      return;
    }
    if (request.getJobId().equals("job-done")) {
      out.onError(ApiErrors.error(Status.Code.FAILED_PRECONDITION, ErrorReason.JOB_STATE,
          "job 'job-done' has already succeeded; only queued or running jobs can be cancelled"));
      return;
    }
    out.onNext(job("job-1", JobState.CANCELLED).toBuilder().setReason(request.getReason()).build());
    out.onCompleted();
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> out) {
    if (!known(request.getJobId(), out)) {
      return;
    }
    if (request.getJobId().equals("job-slow")) {
      // One event, a pause longer than the keep-alive interval, then the end.
      out.onNext(events("job-slow").get(1));
      try {
        Thread.sleep(1200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.onCompleted();
      return;
    }
    for (JobEvent e : request.getJobId().equals("job-ens") ? ensembleEvents() : events(request.getJobId())) {
      if (e.getSequence() >= request.getFromSequence()) {
        out.onNext(e);
      }
    }
    out.onCompleted();
  }

  @Override
  public void listJobEvents(ListJobEventsRequest request, StreamObserver<ListJobEventsResponse> out) {
    if (known(request.getJobId(), out)) {
      out.onNext(ListJobEventsResponse.newBuilder().addAllEvents(request.getJobId().equals("job-ens")
          ? ensembleEvents() : events(request.getJobId())).build());
      out.onCompleted();
    }
  }
}
