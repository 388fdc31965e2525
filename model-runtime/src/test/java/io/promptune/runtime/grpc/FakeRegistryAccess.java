package io.promptune.runtime.grpc;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.common.auth.AccessPolicy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Access rules for the test's stand-in registry ({@link FakeRegistryService}), served by the same test app. */
public class FakeRegistryAccess {

  @Produces
  @Singleton
  static AccessPolicy fakeRegistry() {
    return AccessPolicy.builder().requireAll(PromptRegistryGrpc.getServiceDescriptor(), Role.VIEWER).build();
  }
}
