package io.promptune.runtime.service;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import java.util.Map;

/** The runtime's errors: a gRPC code, a stable reason, a message that says what to fix, and the field at fault. */
public final class Errors {

  private Errors() {}

  public static StatusRuntimeException invalid(ErrorReason reason, String field, String message) {
    return ApiErrors.error(Status.Code.INVALID_ARGUMENT, reason, field + ": " + message, Map.of("field", field));
  }

  public static StatusRuntimeException tooLarge(String field, String message) {
    return ApiErrors.error(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.REQUEST_TOO_LARGE, field + ": " + message,
        Map.of("field", field));
  }

  public static StatusRuntimeException modelMismatch(String field, String message) {
    return ApiErrors.error(Status.Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH, field + ": " + message,
        Map.of("field", field));
  }

  public static StatusRuntimeException unavailable(String message) {
    return ApiErrors.error(Status.Code.UNAVAILABLE, ErrorReason.UNAVAILABLE_DEPENDENCY, message);
  }

  public static StatusRuntimeException internal(String message) {
    return ApiErrors.error(Status.Code.INTERNAL, ErrorReason.INTERNAL, message);
  }
}
