package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.QualityJson.CreateEnsemble;
import io.promptune.gateway.json.RegistryJson.VersionJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Ensemble versions (the registry's CreateEnsemble); read them like any version under /v1/versions. */
@RequiresRole(Role.TRAINER)
@Path("/v1/ensembles")
@Blocking
@Tag(name = "prompts")
public class EnsemblesResource {

  @Inject
  Backends backends;

  @POST
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  @Operation(operationId = "createEnsemble", summary = "Create an ensemble version", description = "Needs the trainer role. 2-32 member "
      + "references (\"name:3\", \"name@prod\" or an id) of one base model; rule majority_vote (default) or "
      + "mean_log_prob. The ensemble is the next version of prompt_name.")
  public VersionJson create(CreateEnsemble body) {
    if (body == null || body.promptName() == null || body.promptName().isBlank()) {
      throw ApiError.invalidField("prompt_name", "Field 'prompt_name' is required.");
    }
    if (body.members() == null || body.members().isEmpty()) {
      throw ApiError.invalidField("members", "Field 'members' is required: a list of version references.");
    }
    CreateEnsembleRequest.Builder b = CreateEnsembleRequest.newBuilder().setPromptName(body.promptName().trim())
        .setRule(Protos.parse(CombinationRule.class, body.rule(), "rule", CombinationRule.MAJORITY_VOTE))
        .setTrainingJobId(Protos.orEmpty(body.trainingJobId()))
        .setCreatePromptIfMissing(Boolean.TRUE.equals(body.createPromptIfMissing()))
        .setTask(Protos.orEmpty(body.task()));
    for (String m : body.members()) {
      b.addMembers(VersionsResource.selector(m));
    }
    if (body.hyperparameters() != null) {
      b.putAllHyperparameters(body.hyperparameters());
    }
    if (body.metrics() != null) {
      b.putAllMetrics(body.metrics());
    }
    return VersionJson.of(backends.registry(s -> s.createEnsemble(b.build())));
  }
}
