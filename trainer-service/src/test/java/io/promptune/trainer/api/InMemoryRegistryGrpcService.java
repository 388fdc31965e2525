package io.promptune.trainer.api;

import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.common.auth.CallerContext;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.function.Supplier;

/** Serves {@link Backends#REGISTRY} as the PromptRegistry gRPC service (the calls the trainer makes), in tests. */
@GrpcService
public class InMemoryRegistryGrpcService extends PromptRegistryGrpc.PromptRegistryImplBase {

  private static <T> void answer(StreamObserver<T> out, Supplier<T> call) {
    T r;
    try {
      r = call.get();
    } catch (RuntimeException e) {
      out.onError(e);
      return;
    }
    out.onNext(r);
    out.onCompleted();
  }

  @Override
  @Blocking
  public void getVersion(GetVersionRequest request, StreamObserver<PromptVersion> out) {
    answer(out, () -> Backends.REGISTRY.getVersion(request, CallerContext.current()));
  }

  @Override
  @Blocking
  public void publishVersion(PublishVersionRequest request, StreamObserver<PromptVersion> out) {
    answer(out, () -> Backends.REGISTRY.publishVersion(request, CallerContext.current()));
  }

  @Override
  @Blocking
  public void listVersions(ListVersionsRequest request, StreamObserver<ListVersionsResponse> out) {
    answer(out, () -> Backends.REGISTRY.listVersions(request, CallerContext.current()));
  }

  @Override
  @Blocking
  public void createEnsemble(CreateEnsembleRequest request, StreamObserver<PromptVersion> out) {
    answer(out, () -> Backends.REGISTRY.createEnsemble(request, CallerContext.current()));
  }

  @Override
  @Blocking
  public void recordEvaluation(RecordEvaluationRequest request, StreamObserver<Evaluation> out) {
    answer(out, () -> Backends.REGISTRY.recordEvaluation(request, CallerContext.current()));
  }
}
