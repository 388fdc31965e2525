package io.promptune.gateway.health;

import io.promptune.common.auth.AccessPolicy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The gateway's gRPC port serves only health (always open) and reflection (open unless configured off): its access
 * table is empty, so any other method would be refused.
 */
public class GatewayAccess {

  @Produces
  @Singleton
  static AccessPolicy policy() {
    return AccessPolicy.builder().build();
  }
}
