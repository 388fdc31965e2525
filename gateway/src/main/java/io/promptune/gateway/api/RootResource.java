package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.auth.Caller;
import io.promptune.gateway.auth.Public;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirements;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** GET /v1: what this is and where to look next; GET /v1/whoami: the caller's key name and role. */
@RequiresRole(Role.VIEWER)
@Path("/v1")
@Tag(name = "meta")
public class RootResource {

  @Inject
  Caller caller;

  @GET
  @Public
  @SecurityRequirements // none: the document says so too
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(operationId = "getServiceInfo", summary = "Service discovery (no key needed)")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "406", ref = "NotAcceptable")
  public Map<String, String> root() {
    return Map.of("service", "promptune-gateway", "api", "v1", "openapi", "/q/openapi", "health", "/q/health",
        "console", "/console/");
  }

  public record WhoAmI(String name, String role) {}

  @GET
  @Path("whoami")
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(operationId = "whoAmI", summary = "The name and role of the API key you sent")
  public WhoAmI whoami() {
    return new WhoAmI(caller.identity().actor(), caller.identity().role().name().toLowerCase(Locale.ROOT));
  }
}
