package io.promptune.gateway.errors;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a backend's gRPC error into the HTTP error the gateway answers. The code is the backend's stable
 * {@link ErrorReason} when it sent one, else derived from the gRPC status; the HTTP status follows the gRPC code,
 * refined by the reason (e.g. REQUEST_TOO_LARGE is 413 whatever the gRPC code).
 */
public final class GrpcErrors {

  private GrpcErrors() {}

  /**
   * @param backend  "registry", "trainer" or "runtime"
   * @param address  host:port of the backend, for messages about reachability
   */
  public static ApiError toApiError(StatusRuntimeException e, String backend, String address) {
    Status.Code grpc = e.getStatus().getCode();
    Optional<ErrorInfo> info = ApiErrors.errorInfoOf(e);
    ErrorReason reason = ApiErrors.reasonOf(e).orElse(ErrorReason.ERROR_REASON_UNSPECIFIED);
    Map<String, Object> details = new LinkedHashMap<>();
    info.ifPresent(i -> details.putAll(i.getMetadataMap()));
    details.put("backend", backend);
    details.put("grpc_status", grpc.name());
    String description = e.getStatus().getDescription();
    String message = description == null || description.isBlank() ? grpc.name() : description;
    switch (grpc) {
      case UNAVAILABLE -> {
        if (info.isPresent()) {
          // The backend answered: something it depends on is down; its message says what.
          return new ApiError(503, reason == ErrorReason.ERROR_REASON_UNSPECIFIED ? "UNAVAILABLE_DEPENDENCY"
              : reason.name(), "The " + backend + " service cannot serve this now: " + message, details);
        }
        return new ApiError(503, "UNAVAILABLE_DEPENDENCY", "The " + backend + " service (" + address
            + ") is not reachable: " + message + ". Check that it is running (promptune status) and retry.",
            details);
      }
      case DEADLINE_EXCEEDED -> {
        return new ApiError(504, "DEADLINE_EXCEEDED", "The " + backend + " service did not answer in time ("
            + message + "). It may be busy; retry, or send a smaller request.", details);
      }
      case UNIMPLEMENTED -> {
        return new ApiError(501, "NOT_IMPLEMENTED", "The " + backend + " service does not implement this call yet ("
            + message + ").", details);
      }
      case UNAUTHENTICATED -> {
        return new ApiError(401, "UNAUTHENTICATED", message, details);
      }
      default -> {
        // handled below
      }
    }
    String code = reason == ErrorReason.ERROR_REASON_UNSPECIFIED ? codeFor(grpc) : reason.name();
    return new ApiError(httpStatus(grpc, reason), code, message, details);
  }

  /** The HTTP status for a gRPC code, refined by the stable reason. */
  public static int httpStatus(Status.Code grpc, ErrorReason reason) {
    switch (reason) {
      case REQUEST_TOO_LARGE:
        return 413;
      case NOT_FOUND:
        return 404;
      case CONFLICT:
      case ALREADY_EXISTS:
        return 409;
      case PERMISSION_DENIED:
        return 403;
      default:
        break;
    }
    return switch (grpc) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case UNAUTHENTICATED -> 401;
      case RESOURCE_EXHAUSTED -> reason == ErrorReason.INPUT_TOO_LONG ? 413 : 429;
      // The resource's state forbids the call: 409 when the caller must change that state first (a job that has
      // ended, an environment to promote through first, nothing to roll back to, an evaluation a promotion gate
      // needs); 412 for other preconditions (e.g. a base-model mismatch, an ensemble where one prompt is needed).
      case FAILED_PRECONDITION -> switch (reason) {
        case JOB_STATE, ENVIRONMENT_ORDER, NOTHING_TO_ROLL_BACK, GATE_FAILED -> 409;
        default -> 412;
      };
      case UNAVAILABLE, CANCELLED -> 503;
      case DEADLINE_EXCEEDED -> 504;
      case UNIMPLEMENTED -> 501;
      default -> 500;
    };
  }

  private static String codeFor(Status.Code grpc) {
    return switch (grpc) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> "INVALID_ARGUMENT";
      case NOT_FOUND -> "NOT_FOUND";
      case ALREADY_EXISTS -> "ALREADY_EXISTS";
      case ABORTED -> "CONFLICT";
      case PERMISSION_DENIED -> "PERMISSION_DENIED";
      case RESOURCE_EXHAUSTED -> "RESOURCE_EXHAUSTED";
      case FAILED_PRECONDITION -> "FAILED_PRECONDITION";
      case CANCELLED -> "CANCELLED";
      default -> "INTERNAL";
    };
  }
}
