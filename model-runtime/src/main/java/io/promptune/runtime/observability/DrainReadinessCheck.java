package io.promptune.runtime.observability;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** DOWN while draining for shutdown, so load balancers and health-checking clients stop sending work. */
@Readiness
@ApplicationScoped
public class DrainReadinessCheck implements HealthCheck {

  @Inject
  RuntimeDrain drain;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("drain").status(!drain.draining()).build();
  }
}
