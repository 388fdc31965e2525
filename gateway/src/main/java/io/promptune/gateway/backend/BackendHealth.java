package io.promptune.gateway.backend;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import io.grpc.StatusRuntimeException;
import io.promptune.gateway.GatewayConfig;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Asks each backend's standard gRPC health service whether it is SERVING, every two seconds, so readiness answers
 * from memory and never waits on a backend.
 */
@ApplicationScoped
public class BackendHealth {

  @Inject
  Backends backends;

  @Inject
  GatewayConfig config;

  private volatile Map<Backend, String> last;

  /** SERVING, NOT_SERVING, UNREACHABLE (with the reason) per backend. */
  public Map<Backend, String> states() {
    Map<Backend, String> s = last;
    return s != null ? s : probeNow();
  }

  public boolean allServing() {
    return states().values().stream().allMatch("SERVING"::equals);
  }

  @Scheduled(every = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void probe() {
    probeNow();
  }

  /** Probes every backend now and remembers the answers. */
  public synchronized Map<Backend, String> probeNow() {
    Map<Backend, String> s = new EnumMap<>(Backend.class);
    for (Backend b : Backend.values()) {
      s.put(b, check(b));
    }
    last = Map.copyOf(s);
    return last;
  }

  private String check(Backend b) {
    try {
      return HealthGrpc.newBlockingStub(backends.channel(b))
          .withDeadlineAfter(config.deadlines().health().toMillis(), TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.newBuilder().setService(b.grpcService()).build())
          .getStatus().name();
    } catch (StatusRuntimeException e) {
      backends.reconnectSoon(b);
      return "UNREACHABLE (" + e.getStatus().getCode() + ")";
    }
  }
}
