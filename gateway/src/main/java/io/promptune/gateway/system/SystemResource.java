package io.promptune.gateway.system;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.auth.RequiresRole;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The console's System page: queue, running jobs, runtime throughput and batching, live. */
@RequiresRole(Role.VIEWER)
@Path("/v1/system")
@Blocking
@Tag(name = "meta")
public class SystemResource {

  @Inject
  SystemSampler sampler;

  @GET
  @Operation(operationId = "getSystem", summary = "Headline numbers, live: queued and running jobs, runtime tokens/s "
      + "and callers merged per batch (over the last minute); null where a service did not answer or no rate is "
      + "known yet (rates need two samples a second apart)")
  public SystemSampler.SystemJson system() {
    return sampler.sample();
  }
}
