package io.promptune.common.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.common.db.DatabaseException;
import io.promptune.common.errors.ServiceException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * How every Promptune service turns an exception into a gRPC status, in one place:
 * <ul>
 *   <li>a {@link StatusRuntimeException} passes through as it is;</li>
 *   <li>a {@link ServiceException} gets the code its reason decides ({@link #code}), its message and metadata;</li>
 *   <li>a database outage (SQLSTATE class 08 and the like anywhere in the cause chain, or a connection that could
 *       not be had) is UNAVAILABLE with reason UNAVAILABLE_DEPENDENCY: retry later;</li>
 *   <li>anything else is INTERNAL. Its text never reaches the caller: it is logged with a fresh error id, and the
 *       caller gets the method and that id only.</li>
 * </ul>
 */
public final class StatusPolicy {

  private static final Logger LOG = Logger.getLogger(StatusPolicy.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_CAUSES = 32;

  private final String service;

  /** {@code service} names the service in messages: "registry", "trainer", "model runtime". */
  public StatusPolicy(String service) {
    this.service = service;
  }

  /** The status for {@code t}, thrown while serving {@code method}. */
  public StatusRuntimeException toStatus(Throwable t, String method) {
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof ServiceException e) {
      // The caller's problem (not found, refused, invalid): not worth more than DEBUG, where it names the trace.
      LOG.debugf("%s refused: %s: %s", method, e.reason(), e.getMessage());
      return ApiErrors.error(code(e.reason()), e.reason(), e.getMessage(), e.metadata());
    }
    if (databaseOutage(t)) {
      LOG.warnf("%s: database unreachable: %s", method, t);
      return ApiErrors.error(Status.Code.UNAVAILABLE, ErrorReason.UNAVAILABLE_DEPENDENCY,
          "the " + service + "'s database is unreachable; retry later");
    }
    String id = newErrorId();
    LOG.errorf(t, "%s failed; error id %s", method, id);
    return ApiErrors.error(Status.Code.INTERNAL, ErrorReason.INTERNAL, method + " failed inside the " + service
        + "; error id " + id + ": the service log has the details", Map.of("error_id", id));
  }

  /**
   * Answers a unary call: computes the response and sends it, or sends the status for what {@code call} threw
   * (an out-of-memory error included). {@code method} names the RPC in messages and the log.
   */
  public <T> void answer(StreamObserver<T> out, String method, Supplier<T> call) {
    T response;
    try {
      response = call.get();
    } catch (RuntimeException | OutOfMemoryError e) {
      out.onError(toStatus(e, method));
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  /** The gRPC code for each reason: the one table all services answer by. */
  public static Status.Code code(ErrorReason reason) {
    return switch (reason) {
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case CONFLICT -> Status.Code.ABORTED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
      case MODEL_MISMATCH, ENVIRONMENT_ORDER, NOTHING_TO_ROLL_BACK, JOB_STATE, GATE_FAILED, ENSEMBLE_NOT_SUPPORTED ->
          Status.Code.FAILED_PRECONDITION;
      case REQUEST_TOO_LARGE, QUOTA_EXCEEDED -> Status.Code.RESOURCE_EXHAUSTED;
      case UNAVAILABLE_DEPENDENCY -> Status.Code.UNAVAILABLE;
      case INVALID_TENSOR, SHAPE_MISMATCH, INPUT_TOO_LONG, EMPTY_INPUT, UNKNOWN_TOKEN_ID, INVALID_ARGUMENT,
          MALFORMED_FILE -> Status.Code.INVALID_ARGUMENT;
      case INTERNAL, NON_FINITE, ERROR_REASON_UNSPECIFIED, UNRECOGNIZED -> Status.Code.INTERNAL;
    };
  }

  /** True when {@code t} or one of its causes says the database cannot be reached. */
  public static boolean databaseOutage(Throwable t) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable c = t; c != null && seen.size() < MAX_CAUSES && seen.add(c); c = c.getCause()) {
      if (c instanceof DatabaseException d && d.outage()) {
        return true;
      }
      if (c instanceof SQLTransientConnectionException || c instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (c instanceof SQLException s && DatabaseException.isOutage(s.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /** 12 hex characters: enough to find one failure in the log, nothing about it. */
  static String newErrorId() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
