package io.promptune.registry.security;

import io.grpc.Context;
import io.promptune.api.CallerIdentity;

/** The caller of the gRPC call being served, put into the gRPC {@link Context} by the CallerInterceptor. */
public final class CallerContext {

  static final Context.Key<CallerIdentity> KEY = Context.key("promptune-caller");

  // Only reached if a call bypassed the interceptor: fail closed (no write role) rather than act as admin.
  private static final CallerIdentity UNKNOWN = new CallerIdentity("unknown", CallerIdentity.Role.VIEWER);

  private CallerContext() {}

  public static CallerIdentity current() {
    CallerIdentity caller = KEY.get();
    return caller == null ? UNKNOWN : caller;
  }

  public static Context with(CallerIdentity caller) {
    return Context.current().withValue(KEY, caller);
  }
}
