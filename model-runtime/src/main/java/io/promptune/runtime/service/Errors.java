package io.promptune.runtime.service;

import io.promptune.api.v1.ErrorReason;
import io.promptune.common.errors.ServiceException;
import java.util.Map;

/**
 * The runtime's refusals: a stable reason, a message that says what to fix, and the field at fault. The gRPC layer
 * gives each the code its reason decides (io.promptune.common.grpc.StatusPolicy).
 */
public final class Errors {

  private Errors() {}

  public static ServiceException invalid(ErrorReason reason, String field, String message) {
    return new ServiceException(reason, field + ": " + message, Map.of("field", field));
  }

  public static ServiceException tooLarge(String field, String message) {
    return new ServiceException(ErrorReason.REQUEST_TOO_LARGE, field + ": " + message, Map.of("field", field));
  }

  public static ServiceException modelMismatch(String field, String message) {
    return new ServiceException(ErrorReason.MODEL_MISMATCH, field + ": " + message, Map.of("field", field));
  }

  public static ServiceException unavailable(String message) {
    return new ServiceException(ErrorReason.UNAVAILABLE_DEPENDENCY, message);
  }
}
