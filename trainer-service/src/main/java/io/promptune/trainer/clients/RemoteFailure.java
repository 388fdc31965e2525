package io.promptune.trainer.clients;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import java.util.Optional;

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

  public boolean notFound() {
    return code.equals(Status.Code.NOT_FOUND.name());
  }

  /** "CODE: description". */
  public String summary() {
    return code + ": " + description;
  }
}
