package io.promptune.gateway.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The gRPC status (+ reason) to HTTP status and stable code table. */
class GrpcErrorsTest {

  @ParameterizedTest(name = "{0}/{1} -> {2} {3}")
  @CsvSource({
      "INVALID_ARGUMENT, INVALID_TENSOR, 400, INVALID_TENSOR",
      "INVALID_ARGUMENT, INPUT_TOO_LONG, 400, INPUT_TOO_LONG",
      "INVALID_ARGUMENT, REQUEST_TOO_LARGE, 413, REQUEST_TOO_LARGE",
      "INVALID_ARGUMENT, , 400, INVALID_ARGUMENT",
      "NOT_FOUND, NOT_FOUND, 404, NOT_FOUND",
      "ALREADY_EXISTS, ALREADY_EXISTS, 409, ALREADY_EXISTS",
      "ABORTED, CONFLICT, 409, CONFLICT",
      "ABORTED, , 409, CONFLICT",
      "PERMISSION_DENIED, PERMISSION_DENIED, 403, PERMISSION_DENIED",
      "UNAUTHENTICATED, , 401, UNAUTHENTICATED",
      "RESOURCE_EXHAUSTED, REQUEST_TOO_LARGE, 413, REQUEST_TOO_LARGE",
      "RESOURCE_EXHAUSTED, , 429, RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION, JOB_STATE, 409, JOB_STATE",
      "FAILED_PRECONDITION, ENVIRONMENT_ORDER, 409, ENVIRONMENT_ORDER",
      "FAILED_PRECONDITION, NOTHING_TO_ROLL_BACK, 409, NOTHING_TO_ROLL_BACK",
      "FAILED_PRECONDITION, GATE_FAILED, 409, GATE_FAILED",
      "FAILED_PRECONDITION, ENSEMBLE_NOT_SUPPORTED, 412, ENSEMBLE_NOT_SUPPORTED",
      "FAILED_PRECONDITION, MODEL_MISMATCH, 412, MODEL_MISMATCH",
      "FAILED_PRECONDITION, NON_FINITE, 412, NON_FINITE",
      "UNAVAILABLE, UNAVAILABLE_DEPENDENCY, 503, UNAVAILABLE_DEPENDENCY",
      "UNAVAILABLE, , 503, UNAVAILABLE_DEPENDENCY",
      "DEADLINE_EXCEEDED, , 504, DEADLINE_EXCEEDED",
      "UNIMPLEMENTED, , 501, NOT_IMPLEMENTED",
      "INTERNAL, INTERNAL, 500, INTERNAL",
      "UNKNOWN, , 500, INTERNAL"})
  void maps(Status.Code code, String reason, int http, String stable) {
    var e = reason == null || reason.isBlank()
        ? code.toStatus().withDescription("something about it").asRuntimeException()
        : ApiErrors.error(code, ErrorReason.valueOf(reason), "something about it", Map.of("field", "x"));
    ApiError a = GrpcErrors.toApiError(e, "registry", "127.0.0.1:9102");
    assertEquals(http, a.status());
    assertEquals(stable, a.code());
    assertTrue(a.getMessage().contains("something about it"), a.getMessage());
    assertEquals("registry", a.details().get("backend"));
    if (reason != null && !reason.isBlank()) {
      assertEquals("x", a.details().get("field"));
    }
  }
}
