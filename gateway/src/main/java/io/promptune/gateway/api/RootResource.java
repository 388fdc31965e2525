package io.promptune.gateway.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;

/** GET /v1: what this is and where to look next. */
@Path("/v1")
public class RootResource {

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public Map<String, String> root() {
    return Map.of("service", "promptune-gateway", "api", "v1", "openapi", "/q/openapi", "health", "/q/health");
  }
}
