package io.promptune.gateway.limits;

import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.errors.ApiError;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The per-endpoint body limits (an application-scoped bean, so filters built at static init resolve it lazily). */
@ApplicationScoped
public class BodyLimits {

  @Inject
  GatewayConfig config;

  public long maxJsonBody() {
    return config.limits().maxJsonBody().asLongValue();
  }

  /** Throws 413 when a declared body length is over the limit for this request. */
  public void check(String method, String path, long length) {
    boolean upload = isUpload(method, path);
    long limit = upload ? config.limits().maxUpload().asLongValue() : config.limits().maxJsonBody().asLongValue();
    if (length > limit) {
      throw ApiError.tooLarge("The request body has " + length + " bytes; " + (upload ? "dataset uploads"
          : "requests to this endpoint") + " may have at most " + limit + " bytes" + (upload
          ? " (promptune.gateway.limits.max-upload)." : " (promptune.gateway.limits.max-json-body)."), limit);
    }
  }

  static boolean isUpload(String method, String path) {
    return "POST".equals(method) && (path.equals("/v1/datasets") || path.equals("/v1/datasets/"));
  }
}
