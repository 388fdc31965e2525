package io.promptune.trainer.clients;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.CreateEnsembleRequest;
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

  /** An ensemble version over existing single-prompt versions (not idempotent: callers look for it first). */
  PromptVersion createEnsemble(CreateEnsembleRequest request, CallerIdentity caller);

  /** Appends an evaluation result to a version; idempotent when the request carries a job id. */
  Evaluation recordEvaluation(RecordEvaluationRequest request, CallerIdentity caller);
}
