package io.promptune.gateway.backend;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready when registry, trainer and runtime all report SERVING on their gRPC health services. */
@Readiness
@ApplicationScoped
public class BackendsReadiness implements HealthCheck {

  @Inject
  BackendHealth health;

  @Inject
  Backends backends;

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder r = HealthCheckResponse.named("backends");
    boolean up = true;
    for (var e : health.states().entrySet()) {
      r.withData(e.getKey().clientName(), e.getValue() + " at " + backends.address(e.getKey()));
      up &= "SERVING".equals(e.getValue());
    }
    return r.status(up).build();
  }
}
