package io.promptune.trainer.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.common.auth.AccessPolicy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Access rules for the test's stand-in runtime and registry, served by the same test app as the trainer. */
public class StandInAccess {

  @Produces
  @Singleton
  static AccessPolicy standIns() {
    return AccessPolicy.builder()
        .requireAll(ModelRuntimeGrpc.getServiceDescriptor(), Role.VIEWER)
        .requireAll(PromptRegistryGrpc.getServiceDescriptor(), Role.VIEWER)
        .build();
  }
}
