package io.promptune.registry.domain;

import io.promptune.api.v1.ErrorReason;
import io.promptune.common.errors.ServiceException;
import java.util.Map;

/**
 * A request the registry refuses, with a stable reason and a message a person can act on. The gRPC layer turns
 * it into a status (the reason decides the code, see io.promptune.common.grpc.StatusPolicy); nothing below that
 * layer knows about gRPC.
 */
public class RegistryException extends ServiceException {

  public RegistryException(ErrorReason reason, String message) {
    super(reason, message);
  }

  public RegistryException(ErrorReason reason, String message, Map<String, String> metadata) {
    super(reason, message, metadata);
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
