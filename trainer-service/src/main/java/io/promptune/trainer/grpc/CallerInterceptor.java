package io.promptune.trainer.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.promptune.api.CallerIdentity;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/** Puts the caller's identity (metadata promptune-actor / promptune-role) into the gRPC Context of every call. */
@ApplicationScoped
@GlobalInterceptor
public class CallerInterceptor implements ServerInterceptor {

  public static final Context.Key<CallerIdentity> CALLER = Context.key("promptune-caller");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    Context ctx = Context.current().withValue(CALLER, CallerIdentity.from(headers));
    return Contexts.interceptCall(ctx, call, headers, next);
  }

  /** The caller of the current call; {@link CallerIdentity#SYSTEM} outside a call. */
  public static CallerIdentity current() {
    CallerIdentity c = CALLER.get();
    return c == null ? CallerIdentity.SYSTEM : c;
  }
}
