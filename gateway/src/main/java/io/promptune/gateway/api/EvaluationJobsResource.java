package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.SubmitEvaluationRequest;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.EvaluationSpecJson;
import io.promptune.gateway.json.TrainerJson.JobJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseStatus;

/**
 * Evaluation jobs: evaluate a version or ensemble on a dataset split in the trainer's job queue. The job is then a
 * job like any other (GET /v1/jobs/{id}, its events and stream, cancel); when it succeeds the result is recorded with
 * the registry against the version (GET /v1/evaluations) and shown in the job's {@code evaluation_outcome}.
 */
@RequiresRole(Role.TRAINER)
@Path("/v1/evaluation-jobs")
@Blocking
@Tag(name = "jobs")
public class EvaluationJobsResource {

  @Inject
  Backends backends;

  @POST
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @Operation(operationId = "submitEvaluation",
      summary = "Submit an evaluation job", description = "Needs the trainer role. version (an id, name:N or "
      + "name@env) and dataset are required; split defaults to validation, mode to the task's (rank_classification "
      + "with labels, else exact_match). Evaluating a prompt on a dataset other than its training one measures "
      + "zero-shot domain transfer.")
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "201", description = "Created",
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobJson.class)))
  public JobJson submit(EvaluationSpecJson spec) {
    if (spec == null) {
      throw ApiError.badRequest("The body must be an evaluation spec, e.g. {\"version\": \"sentiment@prod\", "
          + "\"dataset\": \"movie-reviews\"}.");
    }
    var proto = spec.toProto();
    return JobJson.of(backends.trainer(s -> s.submitEvaluation(SubmitEvaluationRequest.newBuilder().setSpec(proto)
        .build())));
  }
}
