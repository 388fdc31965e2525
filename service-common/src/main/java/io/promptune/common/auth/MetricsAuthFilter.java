package io.promptune.common.auth;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Fail-closed HTTP: the Prometheus scrape (/q/metrics) asks for {@code Authorization: Bearer <key>} (any role, the
 * shared key store) and answers a JSON 401 without one. /q/health stays open for probes. One Vert.x filter, so it
 * runs before any route on every service's HTTP port.
 */
public class MetricsAuthFilter {

  /** Ahead of the routes and of the gateway's own filters. */
  static final int PRIORITY = 1_000;

  @Inject
  Provider<Authenticator> authenticator;

  @Inject
  AuthEvents events;

  @ConfigProperty(name = "quarkus.micrometer.export.prometheus.path", defaultValue = "/q/metrics")
  String metricsPath;

  void register(@Observes Filters filters) {
    filters.register(this::filter, PRIORITY);
  }

  void filter(RoutingContext ctx) {
    if (!protectedPath(ctx.normalizedPath(), metricsPath)) {
      ctx.next();
      return;
    }
    Authenticator.Result auth = authenticator.get().authenticateBearer(ctx.request().getHeader("Authorization"));
    if (auth.ok()) {
      ctx.next();
      return;
    }
    events.failed(auth.failure());
    ctx.response().setStatusCode(401).putHeader("Content-Type", "application/json")
        .putHeader("WWW-Authenticate", "Bearer").end(json(auth));
  }

  /** The metrics path, with or without a trailing segment (/q/metrics/json etc.). */
  static boolean protectedPath(String path, String metricsPath) {
    if (path == null) {
      return false;
    }
    String base = metricsPath.endsWith("/") ? metricsPath.substring(0, metricsPath.length() - 1) : metricsPath;
    return path.equals(base) || path.startsWith(base + "/");
  }

  static String json(Authenticator.Result auth) {
    return "{\"error\":{\"code\":\"UNAUTHENTICATED\",\"message\":\""
        + auth.message().replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"details\":{\"reason\":\""
        + auth.failure().name() + "\"}}}";
  }
}
