package io.promptune.trainer.grpc;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.promptune.api.CallerIdentity;
import io.promptune.common.auth.CallerContext;
import io.promptune.common.errors.ServiceException;
import io.promptune.common.grpc.StatusPolicy;
import io.promptune.common.paging.PageTokens;
import io.promptune.api.v1.CancelJobRequest;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetDatasetRequest;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.ListDatasetsRequest;
import io.promptune.api.v1.ListDatasetsResponse;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.ListJobEventsResponse;
import io.promptune.api.v1.ListJobsRequest;
import io.promptune.api.v1.ListJobsResponse;
import io.promptune.api.v1.SubmitEvaluationRequest;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.UploadDatasetRequest;
import io.promptune.api.v1.WatchJobRequest;
import io.promptune.trainer.dataset.DatasetService;
import io.promptune.trainer.dataset.DatasetUpload;
import io.promptune.trainer.evaluation.EvaluationService;
import io.promptune.trainer.events.JobEventRepository;
import io.promptune.trainer.events.JobWatcher;
import io.promptune.trainer.job.JobService;
import io.promptune.trainer.queue.JobRow;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.util.List;

/** The Trainer gRPC surface: argument plumbing and error mapping only; the work is in the service classes. */
@GrpcService
public class TrainerGrpcService extends TrainerGrpc.TrainerImplBase {

  private static final StatusPolicy STATUS = new StatusPolicy("trainer");

  @Inject
  DatasetService datasets;

  @Inject
  JobService jobs;

  @Inject
  EvaluationService evaluations;

  @Inject
  JobEventRepository events;

  @Inject
  JobWatcher watcher;

  @Override
  @Blocking
  public StreamObserver<UploadDatasetRequest> uploadDataset(StreamObserver<Dataset> response) {
    CallerIdentity caller = CallerContext.current();
    DatasetUpload upload = datasets.newUpload();
    return new StreamObserver<>() {
      private boolean failed;

      @Override
      public void onNext(UploadDatasetRequest message) {
        if (failed) {
          return;
        }
        try {
          JobService.requireRole(caller, CallerIdentity.Role.TRAINER, "upload datasets");
          upload.accept(message);
        } catch (RuntimeException e) {
          failed = true;
          response.onError(STATUS.toStatus(e, "UploadDataset"));
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true; // the client gave up; nothing is stored
      }

      @Override
      public void onCompleted() {
        if (!failed) {
          STATUS.answer(response, "UploadDataset", () -> datasets.store(upload, caller.actor()));
        }
      }
    };
  }

  @Override
  @Blocking
  public void getDataset(GetDatasetRequest request, StreamObserver<Dataset> response) {
    STATUS.answer(response, "GetDataset", () -> datasets.get(request));
  }

  @Override
  @Blocking
  public void listDatasets(ListDatasetsRequest request, StreamObserver<ListDatasetsResponse> response) {
    STATUS.answer(response, "ListDatasets", () -> datasets.list(request));
  }

  @Override
  @Blocking
  public void submitJob(SubmitJobRequest request, StreamObserver<Job> response) {
    STATUS.answer(response, "SubmitJob", () -> jobs.submit(request.getSpec(), CallerContext.current()));
  }

  @Override
  @Blocking
  public void submitEvaluation(SubmitEvaluationRequest request, StreamObserver<Job> response) {
    STATUS.answer(response, "SubmitEvaluation",
        () -> evaluations.submit(request.getSpec(), CallerContext.current()));
  }

  @Override
  @Blocking
  public void getJob(GetJobRequest request, StreamObserver<Job> response) {
    STATUS.answer(response, "GetJob", () -> jobs.get(request.getJobId()));
  }

  @Override
  @Blocking
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> response) {
    STATUS.answer(response, "ListJobs", () -> jobs.list(request));
  }

  @Override
  @Blocking
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> response) {
    STATUS.answer(response, "CancelJob", () -> jobs.cancel(request, CallerContext.current()));
  }

  @Override
  @Blocking
  public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> response) {
    try {
      if (request.getFromSequence() < 0) {
        throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "from_sequence must be >= 0",
            java.util.Map.of("field", "from_sequence"));
      }
      JobRow job = jobs.require(request.getJobId());
      Context call = Context.current();
      watcher.watch(job, request.getFromSequence(), new JobWatcher.Sink() {
        @Override
        public void event(JobEvent event) {
          response.onNext(event);
        }

        @Override
        public void completed() {
          response.onCompleted();
        }

        @Override
        public void failed(RuntimeException e) {
          response.onError(STATUS.toStatus(e, "WatchJob"));
        }

        @Override
        public boolean cancelled() {
          return call.isCancelled();
        }
      });
    } catch (RuntimeException e) {
      response.onError(STATUS.toStatus(e, "WatchJob"));
    }
  }

  @Override
  @Blocking
  public void listJobEvents(ListJobEventsRequest request, StreamObserver<ListJobEventsResponse> response) {
    STATUS.answer(response, "ListJobEvents", () -> {
      JobRow job = jobs.require(request.getJobId());
      int size = PageTokens.size(request.getPage());
      String scope = "events|" + job.id();
      Long next = PageTokens.decodeLong(request.getPage().getPageToken(), scope);
      long from = next == null ? 1 : Math.max(1, next);
      List<JobEvent> page = events.list(job.id(), from, size + 1);
      ListJobEventsResponse.Builder out = ListJobEventsResponse.newBuilder()
          .addAllEvents(page.subList(0, Math.min(size, page.size())));
      if (page.size() > size) {
        out.setNextPageToken(PageTokens.encode(scope, Long.toString(page.get(size).getSequence())));
      }
      return out.build();
    });
  }
}
