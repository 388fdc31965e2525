package io.promptune.runtime.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.promptune.api.v1.RuntimeProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every RPC that the runtime's proto file declares has a least role in RuntimeAccess: none can ship open. */
class AccessPolicyCoverageTest {

  @Test
  void everyMethodOfTheProtoFileHasARule() {
    assertFalse(RuntimeProto.getDescriptor().getServices().isEmpty());
    assertEquals(List.of(), RuntimeAccess.policy().unruled(RuntimeProto.getDescriptor()),
        "methods without a rule in RuntimeAccess (add one: nobody may call them until then)");
  }
}
