package io.promptune.gateway.auth;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.common.auth.AuthEvents;
import io.promptune.common.auth.Authenticator;
import io.promptune.gateway.errors.ApiError;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import java.lang.reflect.Method;

/**
 * Authenticates every REST call with the key store all services share: an API key in
 * {@code Authorization: Bearer <key>} or {@code X-API-Key}. Then the method's {@link RequiresRole}. Default deny: a
 * resource method that declares neither a role nor {@link Public} is refused (and the route-table test fails), so
 * a new endpoint cannot ship open. No key or an unknown key is 401, a role too low is 403.
 */
public class AuthFilter {

  // A provider: REST filters are built at static init, before runtime configuration (the key store's) exists.
  @Inject
  jakarta.inject.Provider<Authenticator> authenticator;

  @Inject
  AuthEvents events;

  @Inject
  Caller caller;

  @Inject
  io.promptune.gateway.observability.GatewayMetrics metrics;

  @org.jboss.resteasy.reactive.server.ServerRequestFilter
  public void authenticate(ContainerRequestContext request, ResourceInfo resource) {
    Method method = resource.getResourceMethod();
    if (method == null || isPublic(method)) {
      return;
    }
    String header = request.getHeaderString("Authorization");
    if ((header == null || header.isBlank()) && request.getHeaderString("X-API-Key") != null) {
      header = "Bearer " + request.getHeaderString("X-API-Key").strip();
    }
    Authenticator.Result auth = authenticator.get().authenticateBearer(header);
    if (!auth.ok()) {
      events.failed(auth.failure());
      metrics.authFailure(switch (auth.failure()) {
        case MISSING_CREDENTIAL -> "missing_key";
        case UNKNOWN_KEY -> "unknown_key";
        case MALFORMED_HEADER -> "malformed_header";
      });
      throw ApiError.unauthenticated(auth.failure() == Authenticator.Failure.MISSING_CREDENTIAL
          && !authenticator.get().keys().isEmpty()
          ? "Missing API key: send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>')." : auth.message());
    }
    CallerIdentity identity = auth.principal().identity();
    caller.set(identity);
    Role needed = requiredRole(method);
    if (needed == null) {
      metrics.authFailure("forbidden");
      throw ApiError.forbidden(request.getMethod() + " " + request.getUriInfo().getPath()
          + " (it declares no role, so nobody may call it)", Role.ADMIN, identity);
    }
    if (!identity.role().atLeast(needed)) {
      metrics.authFailure("forbidden");
      throw ApiError.forbidden(request.getMethod() + " " + request.getUriInfo().getPath(), needed, identity);
    }
  }

  static boolean isPublic(Method m) {
    return m.isAnnotationPresent(Public.class) || m.getDeclaringClass().isAnnotationPresent(Public.class);
  }

  /** The least role the method declares (on itself or its class), or null when it declares none. */
  public static Role requiredRole(Method m) {
    RequiresRole r = m.getAnnotation(RequiresRole.class);
    if (r == null) {
      r = m.getDeclaringClass().getAnnotation(RequiresRole.class);
    }
    return r == null ? null : r.value();
  }
}
