package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListEnvironmentsRequest;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.json.Page;
import io.promptune.gateway.json.PageParams;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.RegistryJson.AuditEventJson;
import io.promptune.gateway.json.RegistryJson.EnvironmentJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The environments in promotion order, and the audit log of promotions and publications. */
@RequiresRole(Role.VIEWER)
@Path("/v1")
@Blocking
@Tag(name = "environments")
public class EnvironmentsResource {

  @Inject
  Backends backends;

  @Inject
  GatewayConfig config;

  @GET
  @Path("environments")
  @Operation(operationId = "listEnvironments", summary = "List environments in promotion order (dev first)")
  public List<EnvironmentJson> environments() {
    return backends.registry(s -> s.listEnvironments(ListEnvironmentsRequest.getDefaultInstance()))
        .getEnvironmentsList().stream().map(EnvironmentJson::of).toList();
  }

  @GET
  @Path("audit")
  @Operation(operationId = "listAuditEvents",
      summary = "The audit log, oldest first", description = "Filter by prompt and environment.")
  public Page<AuditEventJson> audit(@BeanParam PageParams page, @QueryParam("prompt") String prompt,
      @QueryParam("environment") String environment) {
    var r = backends.registry(s -> s.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setPage(page.toProto(config.limits().maxPageSize())).setPromptName(Protos.orEmpty(prompt))
        .setEnvironment(Protos.orEmpty(environment)).build()));
    return Page.of(r.getEventsList().stream().map(AuditEventJson::of).toList(), r.getNextPageToken());
  }
}
