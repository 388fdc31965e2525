package io.promptune.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopologyTest {

  private static Topology topology(Map<String, String> env) {
    return new Topology(env::get);
  }

  @Test
  void defaultsWithoutAnOffset() {
    Topology t = topology(Map.of());
    assertEquals(54329, t.embeddedDbPort());
    assertEquals(9101, t.services().stream().filter(s -> s.name().equals("runtime")).findFirst().orElseThrow()
        .grpcPort());
  }

  @Test
  void theOffsetMovesTheDatabasePortLikeEveryOtherPort() {
    Topology a = topology(Map.of());
    Topology b = topology(Map.of("PROMPTUNE_PORT_OFFSET", "3000"));
    assertEquals(54329 + 3000, b.embeddedDbPort());
    for (int i = 0; i < a.services().size(); i++) {
      assertEquals(a.services().get(i).grpcPort() + 3000, b.services().get(i).grpcPort());
      assertEquals(a.services().get(i).httpPort() + 3000, b.services().get(i).httpPort());
    }
  }

  @Test
  void anExplicitDatabasePortWinsOverTheOffset() {
    assertEquals(6000, topology(Map.of("PROMPTUNE_PORT_OFFSET", "3000", "PROMPTUNE_DB_PORT", "6000"))
        .embeddedDbPort());
    assertEquals(0, topology(Map.of("PROMPTUNE_PORT_OFFSET", "30000", "PROMPTUNE_DB_PORT", "0")).embeddedDbPort());
  }

  @Test
  void anOffsetThatPushesAPortPast65535IsAnErrorThatNamesTheVariable() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> topology(Map.of("PROMPTUNE_PORT_OFFSET", "30000")).embeddedDbPort());
    assertTrue(e.getMessage().contains("PROMPTUNE_DB_PORT"), e.getMessage());
  }
}
