package io.promptune.runtime.health;

import io.promptune.runtime.service.ModelHost;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** UP once the model is loaded; DOWN while it loads or after it failed (with the reason). */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

  @Inject
  ModelHost host;

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder b = HealthCheckResponse.named("model").withData("state", host.state().name());
    if (host.state() == ModelHost.State.READY) {
      var engine = host.service().engine();
      return b.up().withData("model_id", engine.modelId()).withData("fingerprint", engine.fingerprint()).build();
    }
    if (host.state() == ModelHost.State.FAILED) {
      b.withData("error", host.failure());
    }
    return b.down().build();
  }
}
