package io.promptune.gateway.health;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.inject.Inject;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The standard gRPC health service on the gateway's gRPC port. The gateway serves no gRPC API of its own, so
 * Quarkus' built-in health endpoint (which only starts alongside an API) is replaced by this one; it answers
 * from the gateway's MicroProfile readiness checks like the other services do.
 */
@GrpcService
@io.smallrye.common.annotation.Blocking
public class GatewayHealthService extends HealthGrpc.HealthImplBase {

  /** Names this health service answers for: overall ("") and the gateway itself. */
  static final java.util.Set<String> KNOWN = java.util.Set.of("", "promptune.gateway");

  private static final ScheduledExecutorService WATCHERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "grpc-health-watch");
    t.setDaemon(true);
    return t;
  });

  @Inject
  SmallRyeHealthReporter reporter;

  private ServingStatus current() {
    return reporter.getReadiness().isDown() ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
  }

  @Override
  public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
    if (!KNOWN.contains(request.getService())) {
      out.onError(Status.NOT_FOUND.withDescription("unknown service " + request.getService()).asRuntimeException());
      return;
    }
    out.onNext(HealthCheckResponse.newBuilder().setStatus(current()).build());
    out.onCompleted();
  }

  @Override
  public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
    ServerCallStreamObserver<HealthCheckResponse> call = (ServerCallStreamObserver<HealthCheckResponse>) out;
    AtomicReference<ServingStatus> last = new AtomicReference<>();
    var task = WATCHERS.scheduleWithFixedDelay(() -> {
      ServingStatus s = KNOWN.contains(request.getService()) ? current() : ServingStatus.UNKNOWN;
      if (s != last.getAndSet(s) && !call.isCancelled()) {
        call.onNext(HealthCheckResponse.newBuilder().setStatus(s).build());
      }
    }, 0, 1, TimeUnit.SECONDS);
    call.setOnCancelHandler(() -> task.cancel(false));
  }
}
