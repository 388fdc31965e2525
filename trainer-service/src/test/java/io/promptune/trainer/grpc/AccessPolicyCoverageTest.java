package io.promptune.trainer.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.promptune.api.v1.TrainerProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every RPC that the trainer's proto file declares has a least role in TrainerAccess: none can ship open. */
class AccessPolicyCoverageTest {

  @Test
  void everyMethodOfTheProtoFileHasARule() {
    assertFalse(TrainerProto.getDescriptor().getServices().isEmpty());
    assertEquals(List.of(), TrainerAccess.policy().unruled(TrainerProto.getDescriptor()),
        "methods without a rule in TrainerAccess (add one: nobody may call them until then)");
  }
}
