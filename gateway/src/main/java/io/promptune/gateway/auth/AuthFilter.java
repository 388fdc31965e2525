package io.promptune.gateway.auth;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.errors.ApiError;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every REST call: an API key in {@code Authorization: Bearer <key>} or {@code X-API-Key}, checked
 * against {@link ApiKeyRegistry}; then the method's {@link RequiresRole}. No key or an unknown key is 401, a role
 * too low is 403.
 */
public class AuthFilter {

  @Inject
  ApiKeyRegistry keys;

  @Inject
  Caller caller;

  @Inject
  io.promptune.gateway.observability.GatewayMetrics metrics;

  @ServerRequestFilter
  public void authenticate(ContainerRequestContext request, ResourceInfo resource) {
    Method method = resource.getResourceMethod();
    if (method == null || isPublic(method)) {
      return;
    }
    Optional<String> presented = presentedKey(request);
    if (presented.isEmpty()) {
      metrics.authFailure("missing_key");
      throw ApiError.unauthenticated(keys.isEmpty()
          ? "This gateway has no API keys configured. Add one (promptune keys create, or promptune.gateway.api-keys) "
              + "and send it as 'Authorization: Bearer <key>'."
          : "Missing API key: send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>').");
    }
    ApiKey key = keys.authenticate(presented.get()).orElseThrow(() -> {
      metrics.authFailure("unknown_key");
      return ApiError.unauthenticated("Unknown API key: check the key you sent, or ask the deployer for one.");
    });
    CallerIdentity identity = new CallerIdentity(key.name(), key.role());
    caller.set(identity);
    Role needed = requiredRole(method);
    if (!key.role().atLeast(needed)) {
      metrics.authFailure("forbidden");
      throw ApiError.forbidden(request.getMethod() + " " + request.getUriInfo().getPath(), needed, identity);
    }
  }

  private static boolean isPublic(Method m) {
    return m.isAnnotationPresent(Public.class) || m.getDeclaringClass().isAnnotationPresent(Public.class);
  }

  static Role requiredRole(Method m) {
    RequiresRole r = m.getAnnotation(RequiresRole.class);
    if (r == null) {
      r = m.getDeclaringClass().getAnnotation(RequiresRole.class);
    }
    return r == null ? Role.VIEWER : r.value();
  }

  private static Optional<String> presentedKey(ContainerRequestContext request) {
    String auth = request.getHeaderString("Authorization");
    if (auth != null && auth.length() > 7 && auth.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      String k = auth.substring(7).strip();
      if (!k.isEmpty()) {
        return Optional.of(k);
      }
    }
    String header = request.getHeaderString("X-API-Key");
    return header == null || header.isBlank() ? Optional.empty() : Optional.of(header.strip());
  }
}
