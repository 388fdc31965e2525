package io.promptune.runtime.grpc;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.common.auth.AuthInterceptor;
import io.promptune.common.auth.CallerContext;
import io.promptune.runtime.service.InFlightLimits;
import io.promptune.runtime.service.RuntimeConfig;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Applies {@link InFlightLimits} to the runtime's RPCs, after authentication (so the principal is known): a call over
 * its principal's limit is refused at once with RESOURCE_EXHAUSTED, reason QUOTA_EXCEEDED, and a RetryInfo delay.
 * A slot is held from the call's start until it closes or is cancelled.
 */
@ApplicationScoped
@GlobalInterceptor
public class FairUseInterceptor implements ServerInterceptor, Prioritized {

  private final InFlightLimits limits;
  private final Duration retryAfter;

  @jakarta.inject.Inject
  public FairUseInterceptor(RuntimeConfig config) {
    this(config.fairUse().maxInFlightPerPrincipal(), config.fairUse().retryAfter());
  }

  FairUseInterceptor(int limit, Duration retryAfter) {
    this.limits = new InFlightLimits(limit);
    this.retryAfter = retryAfter;
  }

  @Override
  public int getPriority() {
    return AuthInterceptor.PRIORITY - 1;
  }

  public InFlightLimits limits() {
    return limits;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!ModelRuntimeGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String principal = CallerContext.current().actor();
    if (!limits.tryAcquire(principal)) {
      StatusRuntimeException e = quotaExceeded(principal);
      call.close(e.getStatus(), e.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        limits.release(principal);
      }
    };
    ServerCall<Q, R> releasing = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        release.run();
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(releasing, headers);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        release.run();
        super.onCancel();
      }
    };
  }

  private StatusRuntimeException quotaExceeded(String principal) {
    String message = "'" + principal + "' already has " + limits.limit() + " requests in flight on this runtime "
        + "(its fair-use limit); retry in " + retryAfter.toMillis() + " ms";
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
        .setMessage(message)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(ErrorReason.QUOTA_EXCEEDED.name())
            .setDomain(ApiErrors.DOMAIN).putMetadata("limit", Integer.toString(limits.limit())).build()))
        .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
            .setSeconds(retryAfter.toSeconds()).setNanos(retryAfter.toNanosPart())).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }
}
