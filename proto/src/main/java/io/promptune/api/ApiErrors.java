package io.promptune.api;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.promptune.api.v1.ErrorReason;
import java.util.Map;
import java.util.Optional;

/**
 * The v1 error model: a gRPC status code, a message a person can act on, and a google.rpc.ErrorInfo detail
 * whose reason is a stable {@link ErrorReason} name (domain {@value #DOMAIN}).
 */
public final class ApiErrors {

  public static final String DOMAIN = "promptune.v1";

  private ApiErrors() {}

  /** An exception to throw (or pass to {@code onError}) from a service method. */
  public static StatusRuntimeException error(Status.Code code, ErrorReason reason, String message) {
    return error(code, reason, message, Map.of());
  }

  public static StatusRuntimeException error(Status.Code code, ErrorReason reason, String message,
      Map<String, String> metadata) {
    ErrorInfo info = ErrorInfo.newBuilder().setReason(reason.name()).setDomain(DOMAIN).putAllMetadata(metadata)
        .build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(message)
        .addDetails(Any.pack(info))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  public static StatusRuntimeException invalid(ErrorReason reason, String message) {
    return error(Status.Code.INVALID_ARGUMENT, reason, message);
  }

  public static StatusRuntimeException notFound(String message) {
    return error(Status.Code.NOT_FOUND, ErrorReason.NOT_FOUND, message);
  }

  /** The stable reason carried by an error from a Promptune service, if it has one. */
  public static Optional<ErrorReason> reasonOf(Throwable t) {
    return errorInfoOf(t).map(info -> {
      try {
        return ErrorReason.valueOf(info.getReason());
      } catch (IllegalArgumentException unknown) {
        return ErrorReason.ERROR_REASON_UNSPECIFIED;
      }
    });
  }

  /** The ErrorInfo detail of an error from a Promptune service, if it has one. */
  public static Optional<ErrorInfo> errorInfoOf(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return Optional.empty();
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return Optional.of(detail.unpack(ErrorInfo.class));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
