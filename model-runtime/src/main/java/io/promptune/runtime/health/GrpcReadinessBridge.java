package io.promptune.runtime.health;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Publishes this service's readiness (its MicroProfile readiness checks: database reachable, model loaded)
 * on the standard gRPC health service, so {@code grpc_health_probe} and {@code grpcurl} see the truth.
 * gRPC's own check is kept out of readiness (application.properties) so the two do not feed each other.
 */
@ApplicationScoped
public class GrpcReadinessBridge {

  @Inject
  SmallRyeHealthReporter reporter;

  @Inject
  GrpcHealthStorage grpcHealth;

  @Scheduled(every = "${promptune.health.sync-interval:1s}", delayed = "0s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void publish() {
    ServingStatus status = reporter.getReadiness().isDown() ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
    grpcHealth.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, status);
    grpcHealth.setStatus("promptune.v1.ModelRuntime", status);
  }
}
