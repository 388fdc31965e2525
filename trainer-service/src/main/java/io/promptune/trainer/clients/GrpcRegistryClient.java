package io.promptune.trainer.clients;

import io.grpc.stub.MetadataUtils;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.trainer.config.TrainerConfig;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;

/** {@link RegistryClient} over the grpc-java blocking stub configured as quarkus.grpc.clients.registry. */
@ApplicationScoped
public class GrpcRegistryClient implements RegistryClient {

  @GrpcClient("registry")
  PromptRegistryGrpc.PromptRegistryBlockingStub stub;

  @Inject
  TrainerConfig config;

  private PromptRegistryGrpc.PromptRegistryBlockingStub call(CallerIdentity caller) {
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(caller.toMetadata()))
        .withDeadlineAfter(config.rpcDeadline().toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public PromptVersion getVersion(GetVersionRequest request, CallerIdentity caller) {
    return call(caller).getVersion(request);
  }

  @Override
  public PromptVersion publishVersion(PublishVersionRequest request, CallerIdentity caller) {
    return call(caller).publishVersion(request);
  }

  @Override
  public ListVersionsResponse listVersions(ListVersionsRequest request, CallerIdentity caller) {
    return call(caller).listVersions(request);
  }

  @Override
  public PromptVersion createEnsemble(CreateEnsembleRequest request, CallerIdentity caller) {
    return call(caller).createEnsemble(request);
  }

  @Override
  public Evaluation recordEvaluation(RecordEvaluationRequest request, CallerIdentity caller) {
    return call(caller).recordEvaluation(request);
  }
}
