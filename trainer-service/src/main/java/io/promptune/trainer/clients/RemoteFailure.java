package io.promptune.trainer.clients;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.common.errors.ServiceException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What a failed call to the runtime or the registry says, for the code that makes the calls without knowing gRPC
 * (jobs, the queue). The clients throw gRPC's exceptions; this reads them.
 *
 * @param reason      the callee's stable reason (INTERNAL when it gave none)
 * @param code        the status code's name, e.g. "NOT_FOUND"
 * @param description the callee's message
 * @param transientFailure UNAVAILABLE or DEADLINE_EXCEEDED: worth retrying
 */
public record RemoteFailure(ErrorReason reason, String code, String description, boolean transientFailure) {

  /** The failure {@code e} reports, if it is a failed call to another service; empty for anything else. */
  public static Optional<RemoteFailure> of(Throwable e) {
    if (!(e instanceof StatusRuntimeException s)) {
      return Optional.empty();
    }
    Status status = s.getStatus();
    return Optional.of(new RemoteFailure(ApiErrors.reasonOf(s).orElse(ErrorReason.INTERNAL),
        status.getCode().name(), status.getDescription(), Retrier.isTransient(s)));
  }

  /**
   * Runs a call to another service on behalf of a request: a transient failure becomes UNAVAILABLE_DEPENDENCY
   * naming {@code what} (e.g. "model runtime"); anything else is rethrown unchanged.
   */
  public static <T> T dependency(String what, Supplier<T> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      throw unavailableDependency(what, e);
    }
  }

  /** A transient failure of a call to {@code what} as UNAVAILABLE_DEPENDENCY; anything else unchanged. */
  public static RuntimeException unavailableDependency(String what, RuntimeException e) {
    return of(e).filter(RemoteFailure::transientFailure)
        .<RuntimeException>map(f -> new ServiceException(ErrorReason.UNAVAILABLE_DEPENDENCY,
            "the " + what + " is not reachable: " + f.code() + " " + f.description()))
        .orElse(e);
  }

  public boolean notFound() {
    return code.equals(Status.Code.NOT_FOUND.name());
  }

  /** "CODE: description". */
  public String summary() {
    return code + ": " + description;
  }
}
