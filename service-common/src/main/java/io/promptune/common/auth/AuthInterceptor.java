package io.promptune.common.auth;

import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ErrorReason;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Every gRPC call on every Promptune server passes here first. Health is open (probes need it), reflection is open
 * unless configured off; everything else must authenticate ({@link Authenticator}) and hold at least the role the
 * service's {@link AccessPolicy} names for the method. A method without a rule is refused. The caller goes into the
 * gRPC Context ({@link CallerContext}) for the service code and for forwarding.
 */
@ApplicationScoped
@GlobalInterceptor
public class AuthInterceptor implements ServerInterceptor, Prioritized {

  /** Runs before any other interceptor, so nothing sees an unauthenticated call. */
  public static final int PRIORITY = 10_000;

  private static final Logger LOG = Logger.getLogger(AuthInterceptor.class);
  private static final String HEALTH = "grpc.health.v1.Health";
  private static final Set<String> REFLECTION =
      Set.of("grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection");

  @Inject
  Authenticator authenticator;

  AccessPolicy policy;

  @Inject
  AuthConfig config;

  @Inject
  AuthEvents events;

  @Inject
  void mergePolicies(jakarta.enterprise.inject.Instance<AccessPolicy> policies) {
    AccessPolicy.Builder all = AccessPolicy.builder();
    policies.forEach(all::include);
    policy = all.build();
  }

  @Override
  public int getPriority() {
    return PRIORITY;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    String service = MethodDescriptor.extractFullServiceName(method);
    if (HEALTH.equals(service) || (config.reflectionOpen() && REFLECTION.contains(service))) {
      return next.startCall(call, headers);
    }
    Authenticator.Result auth = authenticator.authenticate(headers,
        call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (!auth.ok()) {
      events.failed(auth.failure());
      return refuse(call, ApiErrors.error(Status.Code.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED, auth.message(),
          Map.of("failure", auth.failure().name().toLowerCase(Locale.ROOT))));
    }
    CallerIdentity caller = Authenticator.effectiveCaller(auth.principal(), headers);
    Role least = policy.leastRole(method).orElse(null);
    if (least == null) {
      LOG.errorf("refused %s: the service's access policy has no rule for it", method);
      return refuse(call, ApiErrors.error(Status.Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
          method + " has no access rule on this service, so nobody may call it"));
    }
    if (!caller.role().atLeast(least)) {
      String need = least.name().toLowerCase(Locale.ROOT);
      return refuse(call, ApiErrors.error(Status.Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
          "'" + caller.actor() + "' has role " + caller.role().name().toLowerCase(Locale.ROOT) + "; "
              + call.getMethodDescriptor().getBareMethodName() + " needs role " + need + " or higher",
          Map.of("required_role", need)));
    }
    return Contexts.interceptCall(CallerContext.with(caller), call, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, StatusRuntimeException e) {
    call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
