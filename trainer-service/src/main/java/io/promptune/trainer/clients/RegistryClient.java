package io.promptune.trainer.clients;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RecordEvaluationRequest;

/** The prompt registry as the trainer uses it. Calls carry the identity of the person the trainer acts for. */
public interface RegistryClient {

  PromptVersion getVersion(GetVersionRequest request, CallerIdentity caller);

  PromptVersion publishVersion(PublishVersionRequest request, CallerIdentity caller);

  ListVersionsResponse listVersions(ListVersionsRequest request, CallerIdentity caller);

  /**
   * Appends an evaluation result to a version (idempotent by job id). A default that refuses, so wrappers that only
   * forward the training calls need not know about it; the gRPC client and test registries implement it.
   */
  default Evaluation recordEvaluation(RecordEvaluationRequest request, CallerIdentity caller) {
    throw new UnsupportedOperationException(getClass().getName() + " does not record evaluations");
  }
}
