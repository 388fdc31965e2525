package io.promptune.registry.security;

import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.promptune.api.CallerIdentity;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Reads the caller (metadata promptune-actor / promptune-role, set by the gateway) of every call. No headers means
 * the internal caller "system" with the admin role.
 */
@ApplicationScoped
@GlobalInterceptor
public class CallerInterceptor implements ServerInterceptor {

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    return Contexts.interceptCall(CallerContext.with(CallerIdentity.from(headers)), call, headers, next);
  }
}
