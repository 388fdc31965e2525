package io.promptune.runtime.observability;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.common.auth.CallerContext;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps every ModelRuntime RPC (not health or reflection): counts it in flight per principal class, records its
 * latency and outcome when it ends, and, once {@link RuntimeDrain} has started draining, refuses it at once with
 * UNAVAILABLE so the caller retries on another replica.
 */
@ApplicationScoped
@GlobalInterceptor
public class RuntimeCallInterceptor implements ServerInterceptor {

  private static final String SERVICE = ModelRuntimeGrpc.SERVICE_NAME;

  @Inject
  RuntimeMetrics metrics;

  private final AtomicInteger inflight = new AtomicInteger();
  private volatile boolean refusing;

  /**
   * The principal class a call is counted under: low-cardinality, never a user or key name. The role of the
   * authenticated caller (or of the end user a service forwards), which AuthInterceptor put in the Context before
   * this interceptor runs (it has a higher priority).
   */
  static String principalClass() {
    return CallerContext.current().role().name().toLowerCase(Locale.ROOT);
  }

  /** RPCs started and not yet finished (all principals). */
  public int inflight() {
    return inflight.get();
  }

  /** From now on new RPCs get UNAVAILABLE; those already running continue. */
  public void refuseNewCalls() {
    refusing = true;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String rpc = call.getMethodDescriptor().getBareMethodName();
    if (refusing) {
      StatusRuntimeException e = ApiErrors.error(Status.Code.UNAVAILABLE, ErrorReason.UNAVAILABLE_DEPENDENCY,
          "this runtime is shutting down; retry on another replica");
      metrics.rpc(rpc, Status.Code.UNAVAILABLE.name(), 0);
      call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    AtomicInteger perClass = metrics.inflight(principalClass());
    long start = System.nanoTime();
    AtomicBoolean done = new AtomicBoolean();
    inflight.incrementAndGet();
    perClass.incrementAndGet();
    Runnable end = () -> {
      inflight.decrementAndGet();
      perClass.decrementAndGet();
    };
    ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        boolean first = done.compareAndSet(false, true);
        if (first) { // recorded before the caller can see the answer
          metrics.rpc(rpc, status.getCode().name(), System.nanoTime() - start);
        }
        try {
          super.close(status, trailers);
        } finally {
          if (first) {
            end.run(); // in flight until the answer is handed to the transport
          }
        }
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(counted, headers);
    } catch (RuntimeException e) {
      if (done.compareAndSet(false, true)) {
        end.run();
      }
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          if (done.compareAndSet(false, true)) {
            metrics.rpc(rpc, Status.Code.CANCELLED.name(), System.nanoTime() - start);
            end.run();
          }
        }
      }
    };
  }
}
