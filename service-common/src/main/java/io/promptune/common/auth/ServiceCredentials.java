package io.promptune.common.auth;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.promptune.api.CallerIdentity;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Every call a Promptune service makes to another one carries this process's service key and, when it acts for
 * somebody (the caller it is serving, or a job's submitter attached with {@link CallerContext#with}), that identity.
 * A stub that already set the identity headers (the gateway does, per REST request) keeps them.
 */
@ApplicationScoped
@GlobalInterceptor
public class ServiceCredentials implements ClientInterceptor {

  @Inject
  ServiceKey serviceKey;

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        attach(headers, serviceKey);
        super.start(listener, headers);
      }
    };
  }

  /** Adds the service key and the current caller to {@code headers} (unless they are set already). */
  public static void attach(Metadata headers, ServiceKey serviceKey) {
    if (!headers.containsKey(Authenticator.AUTHORIZATION)) {
      serviceKey.get().ifPresent(k -> headers.put(Authenticator.AUTHORIZATION, "Bearer " + k));
    }
    if (!headers.containsKey(CallerIdentity.ACTOR_KEY)) {
      CallerContext.currentIfAny().ifPresent(c -> headers.merge(c.toMetadata()));
    }
  }
}
