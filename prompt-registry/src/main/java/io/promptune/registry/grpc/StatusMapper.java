package io.promptune.registry.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.persistence.DataAccessException;
import org.jboss.logging.Logger;

/** Exceptions to gRPC statuses. A refusal's reason decides its code; anything unexpected is INTERNAL (logged). */
final class StatusMapper {

  private static final Logger LOG = Logger.getLogger(StatusMapper.class);

  private StatusMapper() {}

  static StatusRuntimeException toStatus(Throwable t, String method) {
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof RegistryException e) {
      return ApiErrors.error(code(e.reason()), e.reason(), e.getMessage(), e.metadata());
    }
    if (t instanceof DataAccessException d && d.sqlState() != null && d.sqlState().startsWith("08")) {
      LOG.warnf("%s: database unreachable: %s", method, d.getMessage());
      return ApiErrors.error(Status.Code.UNAVAILABLE, ErrorReason.UNAVAILABLE_DEPENDENCY, "the registry's database "
          + "is unreachable; retry later");
    }
    LOG.errorf(t, "%s failed", method);
    return ApiErrors.error(Status.Code.INTERNAL, ErrorReason.INTERNAL, method + " failed inside the registry ("
        + t.getClass().getSimpleName() + "); the service log has the details");
  }

  static Status.Code code(ErrorReason reason) {
    return switch (reason) {
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case CONFLICT -> Status.Code.ABORTED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case MODEL_MISMATCH, ENVIRONMENT_ORDER, NOTHING_TO_ROLL_BACK, JOB_STATE, GATE_FAILED, ENSEMBLE_NOT_SUPPORTED ->
          Status.Code.FAILED_PRECONDITION;
      case REQUEST_TOO_LARGE, QUOTA_EXCEEDED -> Status.Code.RESOURCE_EXHAUSTED;
      case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
      case UNAVAILABLE_DEPENDENCY -> Status.Code.UNAVAILABLE;
      case INTERNAL, NON_FINITE, ERROR_REASON_UNSPECIFIED, UNRECOGNIZED -> Status.Code.INTERNAL;
      case INVALID_TENSOR, SHAPE_MISMATCH, INPUT_TOO_LONG, EMPTY_INPUT, UNKNOWN_TOKEN_ID, INVALID_ARGUMENT,
          MALFORMED_FILE -> Status.Code.INVALID_ARGUMENT;
    };
  }
}
