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

  @Test
  void runtimesAndTrainersAreInstancesTenPortsApartAndTheirCallersGetTheRuntimeList() {
    Topology t = topology(Map.of("PROMPTUNE_PORT_OFFSET", "100"));
    var specs = t.services(3, 2);
    assertEquals(java.util.List.of("registry", "runtime", "runtime-2", "runtime-3", "trainer", "trainer-2", "gateway"),
        specs.stream().map(ServiceSpec::name).toList());
    assertEquals(java.util.List.of(9201, 9202, 9211, 9221, 9203, 9213, 9204),
        java.util.List.of(specs.get(1).grpcPort(), specs.get(0).grpcPort(), specs.get(2).grpcPort(),
            specs.get(3).grpcPort(), specs.get(4).grpcPort(), specs.get(5).grpcPort(), specs.get(6).grpcPort()));
    assertEquals("8211", specs.get(2).env().get("PROMPTUNE_RUNTIME_HTTP_PORT"));
    assertEquals("9213", specs.get(5).env().get("PROMPTUNE_TRAINER_GRPC_PORT"));
    String targets = "127.0.0.1:9201,127.0.0.1:9211,127.0.0.1:9221";
    for (ServiceSpec s : specs) {
      boolean caller = s.module().equals("trainer-service") || s.module().equals("gateway");
      assertEquals(caller ? targets : null, s.env().get("PROMPTUNE_RUNTIME_TARGETS"), s.name());
    }
    assertEquals(null, t.services(1, 2).get(2).env().get("PROMPTUNE_RUNTIME_TARGETS"), "one runtime: no pool");
    // The gateway's System page reads every runtime's and the trainers' /q/metrics.
    assertEquals("http://127.0.0.1:8201/q/metrics,http://127.0.0.1:8211/q/metrics,http://127.0.0.1:8221/q/metrics",
        specs.get(6).env().get("PROMPTUNE_SYSTEM_RUNTIME_METRICS"));
    assertEquals("http://127.0.0.1:8203/q/metrics,http://127.0.0.1:8213/q/metrics",
        specs.get(6).env().get("PROMPTUNE_SYSTEM_TRAINER_METRICS"));
    assertThrows(IllegalArgumentException.class, () -> t.services(0, 1));
  }

  @Test
  void withSeveralTrainersOnlyTheGatewayGetsTheTrainerList() {
    Topology t = topology(Map.of("PROMPTUNE_PORT_OFFSET", "100"));
    for (ServiceSpec s : t.services(2, 3)) {
      assertEquals(s.name().equals("gateway") ? "127.0.0.1:9203,127.0.0.1:9213,127.0.0.1:9223" : null,
          s.env().get("PROMPTUNE_TRAINER_TARGETS"), s.name());
    }
    for (ServiceSpec s : t.services(2, 1)) {
      assertEquals(null, s.env().get("PROMPTUNE_TRAINER_TARGETS"), "one trainer: no pool (" + s.name() + ")");
    }
  }

  @Test
  void explicitPortsThatMakeInstancesCollideAreRefused() {
    Topology t = topology(Map.of("PROMPTUNE_TRAINER_GRPC_PORT", "9111"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.services(2, 1));
    assertTrue(e.getMessage().contains("9111"), e.getMessage());
  }
}
