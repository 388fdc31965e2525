package io.promptune.registry.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.promptune.api.v1.RegistryProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every RPC that the registry's proto file declares has a least role in RegistryAccess: none can ship open. */
class AccessPolicyCoverageTest {

  @Test
  void everyMethodOfTheProtoFileHasARule() {
    assertFalse(RegistryProto.getDescriptor().getServices().isEmpty());
    assertEquals(List.of(), RegistryAccess.policy().unruled(RegistryProto.getDescriptor()),
        "methods without a rule in RegistryAccess (add one: nobody may call them until then)");
  }
}
