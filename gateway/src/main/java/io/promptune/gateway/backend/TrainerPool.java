package io.promptune.gateway.backend;

import io.grpc.netty.NettyChannelBuilder;
import io.promptune.common.pool.RuntimePoolResolver;
import io.quarkus.grpc.api.ChannelBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcClientConfiguration;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Makes the gateway's {@code trainer} gRPC client balance over every trainer process when there are several
 * ({@code promptune.trainer-pool.targets}, default PROMPTUNE_TRAINER_TARGETS, which {@code promptune up --trainers N}
 * sets): all trainers share the job queue and the datasets in PostgreSQL, so any one answers any call. Round robin
 * over the targets (no model probe: trainers are interchangeable), client-side health checking on
 * {@code promptune.v1.Trainer}, so a trainer that is starting, draining or dead gets no calls while another serves.
 * Without a list the client stays a plain channel to PROMPTUNE_TRAINER_HOST:PORT (one trainer, or a Service).
 * No retry policy: SubmitJob is not idempotent, and gRPC's transparent retry already covers calls that never left.
 */
@ApplicationScoped
@io.quarkus.arc.Unremovable // looked up by quarkus-grpc when it builds a channel, never injected
public class TrainerPool implements ChannelBuilderCustomizer<NettyChannelBuilder> {

  private static final Logger LOG = Logger.getLogger(TrainerPool.class);

  /** The health service name the trainers report readiness under. */
  public static final String HEALTH_SERVICE = "promptune.v1.Trainer";

  @ConfigProperty(name = "promptune.trainer-pool.client", defaultValue = "trainer")
  String client;

  /** Unset: the environment variable PROMPTUNE_TRAINER_TARGETS (what the launcher sets). */
  @ConfigProperty(name = "promptune.trainer-pool.targets")
  Optional<String> targets;

  @ConfigProperty(name = "promptune.trainer-pool.refresh-interval", defaultValue = "30s")
  Duration refreshInterval;

  /** "none" turns client-side health checking off (stand-ins without a health service). */
  @ConfigProperty(name = "promptune.trainer-pool.health-check-service", defaultValue = HEALTH_SERVICE)
  String healthCheckService;

  @Override
  public Map<String, Object> customize(String name, GrpcClientConfiguration config, NettyChannelBuilder builder) {
    List<String> list = targets(targets.orElse(System.getenv("PROMPTUNE_TRAINER_TARGETS")));
    if (!client.equals(name) || list.isEmpty() || "stork".equalsIgnoreCase(config.nameResolver())
        || config.inProcess().enabled() || config.xds().enabled()) {
      return Map.of();
    }
    String scheme = config.nameResolver().split(":")[0];
    builder.nameResolverFactory(new RuntimePoolResolver.Provider(scheme,
        RuntimePoolResolver.Settings.interchangeable(list, refreshInterval)));
    Optional<String> health = Optional.of(healthCheckService).filter(h -> !h.isBlank() && !h.equals("none"));
    LOG.infof("gRPC client %s: trainer pool %s, round_robin, health-checked on %s", name, list,
        health.orElse("(nothing)"));
    return serviceConfig(health);
  }

  /** The comma-separated {@code host:port} list, blanks dropped; empty for null or blank. */
  static List<String> targets(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** round_robin, with client-side health checking on {@code health} when present (JSON as maps). */
  static Map<String, Object> serviceConfig(Optional<String> health) {
    Map<String, Object> config = new HashMap<>();
    config.put("loadBalancingConfig", List.of(Map.of("round_robin", Map.of())));
    health.ifPresent(h -> config.put("healthCheckConfig", Map.of("serviceName", h)));
    return config;
  }
}
