package io.promptune.registry.domain;

import io.promptune.api.v1.ErrorReason;
import java.util.Map;

/**
 * A request the registry refuses, with a stable reason and a message a person can act on. The gRPC layer turns
 * it into a status (the reason decides the code); nothing below that layer knows about gRPC.
 */
public class RegistryException extends RuntimeException {

  private final ErrorReason reason;
  private final Map<String, String> metadata;

  public RegistryException(ErrorReason reason, String message) {
    this(reason, message, Map.of());
  }

  public RegistryException(ErrorReason reason, String message, Map<String, String> metadata) {
    super(message);
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
  }

  public ErrorReason reason() {
    return reason;
  }

  /** Names the offending field or entity, e.g. {"field": "tensor"}. */
  public Map<String, String> metadata() {
    return metadata;
  }

  public static RegistryException notFound(String message) {
    return new RegistryException(ErrorReason.NOT_FOUND, message);
  }

  public static RegistryException invalid(String field, String message) {
    return new RegistryException(ErrorReason.INVALID_ARGUMENT, message, Map.of("field", field));
  }

  public static RegistryException malformed(String file, String message) {
    return new RegistryException(ErrorReason.MALFORMED_FILE, file + ": " + message, Map.of("file", file));
  }
}
