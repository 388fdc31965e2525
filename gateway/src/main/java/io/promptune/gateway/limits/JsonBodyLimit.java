package io.promptune.gateway.limits;

import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.IOException;

/**
 * Counts JSON request bodies as they are parsed, so a body sent without a Content-Length (chunked) is held to the
 * same {@code promptune.gateway.limits.max-json-body} as one that declares its length.
 */
@Provider
public class JsonBodyLimit implements ReaderInterceptor {

  @Inject
  BodyLimits limits;

  @Override
  public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException, WebApplicationException {
    if (context.getMediaType() != null && context.getMediaType().getSubtype().endsWith("json")) {
      context.setInputStream(new LimitedInputStream(context.getInputStream(), limits.maxJsonBody(),
          "The request body"));
    }
    return context.proceed();
  }
}
