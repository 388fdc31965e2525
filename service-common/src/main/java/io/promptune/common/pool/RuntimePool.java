package io.promptune.common.pool;

import io.grpc.netty.NettyChannelBuilder;
import io.promptune.common.auth.ServiceKey;
import io.quarkus.grpc.api.ChannelBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcClientConfiguration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Makes the gRPC client {@code runtime} (quarkus.grpc.clients.runtime.*) a client of a pool of model runtime
 * replicas, with gRPC-Java's own mechanisms: the {@link RuntimePoolResolver} name resolver (a static list from
 * {@code promptune.runtime-pool.targets}, default PROMPTUNE_RUNTIME_TARGETS, or the client's host resolved to all its
 * addresses), and a default service config with round_robin balancing, client-side health checking on
 * {@code promptune.v1.ModelRuntime} and a retry policy that retries UNAVAILABLE (on another replica, which
 * round_robin picks next). Needs {@code quarkus.grpc.clients.runtime.retry=true}, else Quarkus turns retries off.
 */
@ApplicationScoped
@io.quarkus.arc.Unremovable // looked up by quarkus-grpc when it builds a channel, never injected
public class RuntimePool implements ChannelBuilderCustomizer<NettyChannelBuilder> {

  private static final Logger LOG = Logger.getLogger(RuntimePool.class);

  /** The health service name the runtime reports readiness under. */
  public static final String HEALTH_SERVICE = "promptune.v1.ModelRuntime";

  // Not under promptune.runtime.*: that prefix is the runtime's own config mapping, which refuses unknown keys.
  @ConfigProperty(name = "promptune.runtime-pool.clients", defaultValue = "runtime")
  List<String> clients;

  /** Unset: the environment variable PROMPTUNE_RUNTIME_TARGETS (what the launcher sets). */
  @ConfigProperty(name = "promptune.runtime-pool.targets")
  Optional<String> targets;

  @ConfigProperty(name = "promptune.runtime-pool.expected-fingerprint")
  Optional<String> expectedFingerprint;

  @ConfigProperty(name = "promptune.runtime-pool.refresh-interval", defaultValue = "30s")
  Duration refreshInterval;

  @ConfigProperty(name = "promptune.runtime-pool.probe-retry-interval", defaultValue = "2s")
  Duration probeRetryInterval;

  @ConfigProperty(name = "promptune.runtime-pool.retry-attempts", defaultValue = "3")
  int retryAttempts;

  /** The health service name checked per replica; "none" turns client-side health checking off (tests' stand-ins). */
  @ConfigProperty(name = "promptune.runtime-pool.health-check-service", defaultValue = HEALTH_SERVICE)
  String healthCheckService;

  @Inject
  ServiceKey serviceKey;

  @Override
  public Map<String, Object> customize(String name, GrpcClientConfiguration config, NettyChannelBuilder builder) {
    if (!clients.contains(name) || "stork".equalsIgnoreCase(config.nameResolver())
        || config.inProcess().enabled() || config.xds().enabled()) {
      return Map.of();
    }
    List<String> list = targets.filter(t -> !t.isBlank())
        .or(() -> Optional.ofNullable(System.getenv("PROMPTUNE_RUNTIME_TARGETS"))).map(t -> Arrays.stream(t.split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .toList()).orElse(List.of());
    String scheme = config.nameResolver().split(":")[0];
    RuntimePoolResolver.Settings settings = new RuntimePoolResolver.Settings(list,
        expectedFingerprint.filter(s -> !s.isBlank()), refreshInterval, probeRetryInterval, Duration.ofSeconds(3),
        serviceKey::get);
    builder.nameResolverFactory(new RuntimePoolResolver.Provider(scheme, settings));
    Optional<String> health = Optional.of(healthCheckService).filter(h -> !h.isBlank() && !h.equals("none"));
    LOG.infof("gRPC client %s: runtime pool %s, round_robin, health-checked on %s, UNAVAILABLE retried up to %d "
        + "attempts", name, list.isEmpty() ? "of " + config.host() + " (all its addresses)" : list,
        health.orElse("(nothing)"), retryAttempts);
    return serviceConfig(retryAttempts, health);
  }

  /** {@link #serviceConfig(int, Optional)} health-checked on {@value #HEALTH_SERVICE}. */
  public static Map<String, Object> serviceConfig(int retryAttempts) {
    return serviceConfig(retryAttempts, Optional.of(HEALTH_SERVICE));
  }

  /**
   * The default service config of a pool client: JSON as maps (numbers as Double, as gRPC-Java's parser wants).
   * Retries only UNAVAILABLE (the replica went away or refused before doing anything), never DEADLINE_EXCEEDED:
   * the callers decide on those themselves.
   */
  public static Map<String, Object> serviceConfig(int retryAttempts, Optional<String> healthService) {
    Map<String, Object> config = new java.util.HashMap<>();
    config.put("loadBalancingConfig", List.of(Map.of("round_robin", Map.of())));
    healthService.ifPresent(h -> config.put("healthCheckConfig", Map.of("serviceName", h)));
    config.put("methodConfig", List.of(Map.of(
            "name", List.of(Map.of("service", "promptune.v1.ModelRuntime")),
            "retryPolicy", Map.of(
                "maxAttempts", (double) Math.max(2, retryAttempts),
                "initialBackoff", "0.1s",
                "maxBackoff", "1s",
                "backoffMultiplier", 2.0,
                "retryableStatusCodes", List.of("UNAVAILABLE")))));
    return config;
  }
}
