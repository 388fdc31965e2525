package io.promptune.common.auth;

import io.grpc.Context;
import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import java.util.Optional;

/**
 * The caller of the gRPC call being served (or of the background work a service does for somebody), kept in the
 * gRPC {@link Context}. The {@link AuthInterceptor} puts it there after authenticating; background work (a training
 * job acting for its submitter) attaches it with {@link #with}. Outgoing calls forward it ({@link ServiceCredentials}).
 */
public final class CallerContext {

  private static final Context.Key<CallerIdentity> KEY = Context.key("promptune-caller");

  /** Outside any call or attached identity: fail closed, the least role and no name anybody has. */
  public static final CallerIdentity NOBODY = new CallerIdentity("unauthenticated", Role.VIEWER);

  private CallerContext() {}

  /** The current caller; {@link #NOBODY} when none is attached. */
  public static CallerIdentity current() {
    return currentIfAny().orElse(NOBODY);
  }

  public static Optional<CallerIdentity> currentIfAny() {
    return Optional.ofNullable(KEY.get());
  }

  /** A context in which {@code caller} is the current caller; run work in it with {@code run} or {@code call}. */
  public static Context with(CallerIdentity caller) {
    return Context.current().withValue(KEY, caller);
  }
}
