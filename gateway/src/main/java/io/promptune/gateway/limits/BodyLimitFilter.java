package io.promptune.gateway.limits;

import io.promptune.gateway.errors.ApiError;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Rejects a request whose declared Content-Length is over the limit for its endpoint before its body is read:
 * dataset uploads may be up to {@code promptune.gateway.limits.max-upload}, everything else up to
 * {@code max-json-body}. Bodies without a length are counted as they are read ({@link LimitedInputStream}) or
 * capped by {@code quarkus.http.limits.max-body-size}.
 */
public class BodyLimitFilter {

  @Inject
  BodyLimits limits;

  @ServerRequestFilter(preMatching = true)
  public void checkLength(ContainerRequestContext request) {
    String cl = request.getHeaderString("Content-Length");
    if (cl == null) {
      return;
    }
    long length;
    try {
      length = Long.parseLong(cl.trim());
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Content-Length '" + cl + "' is not a number.");
    }
    limits.check(request.getMethod(), request.getUriInfo().getPath(), length);
  }
}
