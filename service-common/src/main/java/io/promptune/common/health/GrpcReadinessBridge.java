package io.promptune.common.health;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Publishes this service's readiness (its MicroProfile readiness checks: database reachable, model loaded) on the
 * standard gRPC health service, for the server as a whole and for {@code promptune.health.grpc-service}, so
 * {@code grpc_health_probe}, {@code grpcurl} and client-side health checking see the truth. gRPC's own check is kept
 * out of readiness (application.properties) so the two do not feed each other. A process without gRPC health (the
 * gateway answers health itself) leaves the property unset.
 */
@ApplicationScoped
public class GrpcReadinessBridge {

  @Inject
  SmallRyeHealthReporter reporter;

  @Inject
  Instance<GrpcHealthStorage> grpcHealth;

  @ConfigProperty(name = "promptune.health.grpc-service")
  Optional<String> service;

  /** Set while the process drains on shutdown: NOT_SERVING whatever readiness says, so balancers move away. */
  private volatile boolean draining;

  public void drain() {
    draining = true;
    publish();
  }

  @Scheduled(every = "${promptune.health.sync-interval:1s}", delayed = "0s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void publish() {
    if (service.isEmpty() || !grpcHealth.isResolvable()) {
      return;
    }
    boolean up = !draining && !reporter.getReadiness().isDown();
    ServingStatus status = up ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    grpcHealth.get().setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, status);
    grpcHealth.get().setStatus(service.get(), status);
  }
}
