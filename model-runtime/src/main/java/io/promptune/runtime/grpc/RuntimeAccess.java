package io.promptune.runtime.grpc;

import static io.promptune.api.CallerIdentity.Role.TRAINER;
import static io.promptune.api.CallerIdentity.Role.VIEWER;

import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.common.auth.AccessPolicy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Who may call what on the runtime: inference and model facts need any key; ForwardBackward (training compute, the
 * most expensive call) needs trainer.
 */
public class RuntimeAccess {

  @Produces
  @Singleton
  static AccessPolicy policy() {
    return AccessPolicy.builder()
        .require(ModelRuntimeGrpc.getGetModelInfoMethod(), VIEWER)
        .require(ModelRuntimeGrpc.getTokenizeMethod(), VIEWER)
        .require(ModelRuntimeGrpc.getForwardBackwardMethod(), TRAINER)
        .require(ModelRuntimeGrpc.getScoreMethod(), VIEWER)
        .require(ModelRuntimeGrpc.getGenerateMethod(), VIEWER)
        .require(ModelRuntimeGrpc.getNearestTokensMethod(), VIEWER)
        .require(ModelRuntimeGrpc.getEmbedTokensMethod(), VIEWER)
        .build();
  }
}
