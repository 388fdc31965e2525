package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.DeletePromotionGateRequest;
import io.promptune.api.v1.ListPromotionGatesRequest;
import io.promptune.api.v1.PromotionGate;
import io.promptune.api.v1.SetPromotionGateRequest;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.QualityJson.GateJson;
import io.promptune.gateway.json.QualityJson.SetGate;
import io.promptune.gateway.json.RegistryJson.AuditEventJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Promotion gates per environment: admins edit them (audited), anyone reads them. */
@RequiresRole(Role.VIEWER)
@Path("/v1/gates")
@Blocking
@Tag(name = "environments")
public class GatesResource {

  @Inject
  Backends backends;

  /** Answer of PUT: the gate as stored and the audit event. */
  public record SetGateResult(GateJson gate, AuditEventJson event) {}

  @GET
  @Operation(operationId = "listPromotionGates", summary = "List promotion gates", description = "Optional filters: environment, and prompt (the gates "
      + "that apply to that prompt).")
  public List<GateJson> list(@QueryParam("environment") String environment, @QueryParam("prompt") String prompt) {
    return backends.registry(s -> s.listPromotionGates(ListPromotionGatesRequest.newBuilder()
        .setEnvironment(Protos.orEmpty(environment)).setPromptName(Protos.orEmpty(prompt)).build()))
        .getGatesList().stream().map(GateJson::of).toList();
  }

  @PUT
  @Path("{env}/{name}")
  @RequiresRole(Role.ADMIN)
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @Operation(operationId = "setPromotionGate", summary = "Create or replace a promotion gate", description = "Needs the admin role. Audited. The "
      + "promoted version's latest evaluation on (dataset_id, split, metric) must reach threshold and may be worse "
      + "than the current version's by at most max_regression.")
  public SetGateResult set(@PathParam("env") String env, @PathParam("name") String name, SetGate body) {
    if (body == null) {
      throw ApiError.invalidField("body", "A gate is required: dataset_id, split, metric, threshold, ...");
    }
    PromotionGate.Builder g = PromotionGate.newBuilder().setEnvironment(env).setName(name)
        .setPromptName(Protos.orEmpty(body.promptName())).setTask(Protos.orEmpty(body.task()))
        .setDatasetId(Protos.orEmpty(body.datasetId())).setSplit(Protos.orEmpty(body.split()))
        .setMetric(Protos.orEmpty(body.metric())).setLowerIsBetter(Boolean.TRUE.equals(body.lowerIsBetter()))
        .setDescription(Protos.orEmpty(body.description()));
    if (body.threshold() != null) {
      g.setThreshold(body.threshold());
    }
    if (body.maxRegression() != null) {
      g.setMaxRegression(body.maxRegression());
    }
    var r = backends.registry(s -> s.setPromotionGate(SetPromotionGateRequest.newBuilder().setGate(g)
        .setReason(Protos.orEmpty(body.reason())).build()));
    return new SetGateResult(GateJson.of(r.getGate()), AuditEventJson.of(r.getEvent()));
  }

  @DELETE
  @Path("{env}/{name}")
  @RequiresRole(Role.ADMIN)
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @Operation(operationId = "deletePromotionGate", summary = "Delete a promotion gate", description = "Needs the admin role. Audited.")
  public AuditEventJson delete(@PathParam("env") String env, @PathParam("name") String name,
      @QueryParam("reason") String reason) {
    return AuditEventJson.of(backends.registry(s -> s.deletePromotionGate(DeletePromotionGateRequest.newBuilder()
        .setEnvironment(env).setName(name).setReason(Protos.orEmpty(reason)).build())).getEvent());
  }
}
