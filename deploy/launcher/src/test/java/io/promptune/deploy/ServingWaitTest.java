package io.promptune.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code up}'s wait for SERVING, with scripted probe answers instead of processes. */
class ServingWaitTest {

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final Map<String, Integer> asked = new HashMap<>();

  private static ServiceSpec service(String name) {
    return new ServiceSpec(name, "m", 1, 2, "s", "64m", Map.of());
  }

  /** Answers each service's probes from its script, in order, repeating the script's last answer once it ran out. */
  private java.util.function.Function<ServiceSpec, String> scripted(Map<String, List<String>> scripts) {
    return s -> {
      int n = asked.merge(s.name(), 1, Integer::sum);
      List<String> script = scripts.get(s.name());
      return script.get(Math.min(n, script.size()) - 1);
    };
  }

  private ServingWait waitFor(List<String> names, java.util.function.Function<ServiceSpec, String> probe,
      java.util.function.Consumer<ServiceSpec> alive) {
    return new ServingWait(names.stream().map(ServingWaitTest::service).toList(), probe, alive,
        new PrintStream(output, true, StandardCharsets.UTF_8), Duration.ofMillis(5));
  }

  @Test
  void servicesThatAreNeverServingInTheSameRoundStillMakeItAndAreNotAskedAgain() throws Exception {
    // A loaded machine: every round one of the two probes misses its deadline, never the same one twice in a row.
    List<String> odd = new ArrayList<>();
    List<String> even = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      odd.add(i % 2 == 0 ? "SERVING" : "DEADLINE_EXCEEDED");
      even.add(i % 2 == 0 ? "DEADLINE_EXCEEDED" : "SERVING");
    }
    waitFor(List.of("gateway", "trainer"), scripted(Map.of("gateway", odd, "trainer", even)), s -> { })
        .await(Duration.ofSeconds(10));
    assertEquals(Map.of("gateway", 1, "trainer", 2), asked, "a service that answered SERVING is not asked again");
    String out = output.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("  gateway: SERVING (0 s)"), out);
    assertTrue(out.contains("  trainer: DEADLINE_EXCEEDED (0 s)"), out);
    assertTrue(out.contains("  trainer: SERVING (0 s)"), out);
  }

  @Test
  void aTimeoutNamesTheServicesNotYetServingWithTheirLastAnswer() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> waitFor(List.of("registry", "runtime"),
        scripted(Map.of("registry", List.of("SERVING"), "runtime", List.of("UNREACHABLE", "NOT_SERVING"))), s -> { })
        .await(Duration.ofMillis(200)));
    assertEquals("services not healthy after 0 s:\n  runtime: NOT_SERVING\n  (SERVING: registry)", e.getMessage());
    assertTrue(asked.get("runtime") > 2, "asked again and again: " + asked);
    assertEquals(1, asked.get("registry"));
    String out = output.toString(StandardCharsets.UTF_8);
    assertEquals(1, out.lines().filter(l -> l.contains("runtime: NOT_SERVING")).count(), "printed once: " + out);
  }

  @Test
  void aServiceThatDiesAfterAnsweringServingStillFailsTheWait() {
    List<String> rounds = new ArrayList<>();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> waitFor(List.of("trainer", "runtime"),
        scripted(Map.of("trainer", List.of("SERVING"), "runtime", List.of("NOT_SERVING"))), s -> {
          rounds.add(s.name());
          if (s.name().equals("trainer") && rounds.size() > 4) {
            throw new IllegalStateException("trainer exited during start");
          }
        }).await(Duration.ofSeconds(10)));
    assertEquals("trainer exited during start", e.getMessage());
    assertEquals(1, asked.get("trainer"));
  }
}
