package io.promptune.common.errors;

import io.promptune.api.v1.ErrorReason;
import java.util.Map;

/**
 * A request a service refuses, with a stable {@link ErrorReason} and a message a person can act on. Services throw
 * it (or a subclass) below their gRPC layer; the gRPC layer turns it into a status whose code the reason decides
 * ({@code io.promptune.common.grpc.StatusPolicy}). Nothing that throws it needs to know about gRPC.
 */
public class ServiceException extends RuntimeException {

  private final ErrorReason reason;
  private final Map<String, String> metadata;

  public ServiceException(ErrorReason reason, String message) {
    this(reason, message, Map.of());
  }

  public ServiceException(ErrorReason reason, String message, Map<String, String> metadata) {
    this(reason, message, metadata, null);
  }

  public ServiceException(ErrorReason reason, String message, Map<String, String> metadata, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
  }

  public ErrorReason reason() {
    return reason;
  }

  /** Names the offending field or entity, e.g. {"field": "tensor"}; sent to the client as ErrorInfo metadata. */
  public Map<String, String> metadata() {
    return metadata;
  }
}
