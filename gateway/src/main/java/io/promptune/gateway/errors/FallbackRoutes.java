package io.promptune.gateway.errors;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * Paths nothing serves (no REST endpoint, no console file) answer a JSON 404 instead of the default page, and
 * failures that happen before a request reaches the REST layer (e.g. a body over the HTTP limit) answer JSON too.
 */
public class FallbackRoutes {

  @Inject
  ObjectMapper json;

  /** quarkus.http.limits.max-body-size, the hard cap; Quarkus answers a bare 413 above it (route order -2). */
  @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.http.limits.max-body-size")
  java.util.Optional<io.quarkus.runtime.configuration.MemorySize> hardCap;

  void install(@Observes Router router) {
    hardCap.ifPresent(cap -> router.route().order(-3).handler(ctx -> {
      String cl = ctx.request().getHeader("Content-Length");
      long length = -1;
      try {
        length = cl == null ? -1 : Long.parseLong(cl.trim());
      } catch (NumberFormatException ignored) {
        // Quarkus and the REST layer answer malformed lengths
      }
      if (length > cap.asLongValue()) {
        ctx.response().putHeader("Connection", "close");
        send(ctx, ApiError.tooLarge("The request body has " + length + " bytes; this gateway accepts at most "
            + cap.asLongValue() + " bytes (quarkus.http.limits.max-body-size).", cap.asLongValue()));
        return;
      }
      ctx.next();
    }));
    router.route().last().handler(ctx -> {
      if (ctx.response().ended()) {
        return;
      }
      ApiError e = new ApiError(404, "NOT_FOUND", "No such endpoint: " + ctx.request().method() + " "
          + ctx.request().path() + ". The API is under /v1 (see /q/openapi); the console is at /console/.",
          Map.of("path", ctx.request().path()));
      send(ctx, e);
    });
  }

  void send(io.vertx.ext.web.RoutingContext ctx, ApiError e) {
    try {
      ctx.response().setStatusCode(e.status()).putHeader("Content-Type", "application/json")
          .end(json.writeValueAsString(e.body()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
      ctx.response().setStatusCode(e.status()).end();
    }
  }
}
