package io.promptune.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code up} at a new scale stops the running processes whose launcher-made environment changed (so that it starts
 * them again with the new one) and leaves the others alone. Real processes under the launcher's supervisor, stand-ins
 * for the services: {@code sh} carrying the launcher's markers on its command line, sleeping a second at a time (it
 * leaves no orphan behind when stopped: its current {@code sleep} ends and is reaped before the trap exits).
 */
class RestartOnConfigChangeTest {

  @TempDir
  Path home;

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final Map<String, String> env = Map.of("PROMPTUNE_PORT_OFFSET", "100");
  private final Topology topology = new Topology(env::get);
  private Launcher launcher;
  private final List<String> started = new ArrayList<>();

  @AfterEach
  void stopAll() {
    for (String name : started) {
      launcher.supervisor().stop(name, Duration.ofSeconds(5));
    }
  }

  private Launcher launcher() {
    if (launcher == null) {
      launcher = new Launcher(Path.of("."), home, env, new PrintStream(output, true, StandardCharsets.UTF_8));
    }
    return launcher;
  }

  /** A stand-in process named {@code name} that the supervisor recognises as its own. */
  private void startStandIn(String name) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"));
    cmd.addAll(launcher().supervisor().markers(name)); // $0 and $1 of the script: on the command line, unused
    launcher().supervisor().start(name, cmd, Map.of());
    started.add(name);
    assertTrue(launcher().supervisor().find(name).isPresent(), name + " did not start");
  }

  /** Starts a stand-in for every service of {@code scale} and records each one's environment as {@code up} does. */
  private void runningAt(int runtimes, int trainers) throws Exception {
    for (ServiceSpec s : topology.services(runtimes, trainers)) {
      startStandIn(s.name());
      launcher().recordEnvironment(s);
    }
  }

  private boolean running(String name) {
    return launcher().supervisor().find(name).isPresent();
  }

  @Test
  void theSameScaleRestartsNothing() throws Exception {
    runningAt(2, 2);
    assertEquals(List.of(), launcher().restartReconfigured(topology.services(2, 2)));
    assertEquals("", output.toString(StandardCharsets.UTF_8));
    for (String name : started) {
      assertTrue(running(name), name);
    }
  }

  @Test
  void anotherRuntimeRestartsTheTrainerAndTheGatewayWhichReadTheRuntimeList() throws Exception {
    runningAt(1, 1);
    List<String> stopped = launcher().restartReconfigured(topology.services(2, 1));

    assertEquals(List.of("trainer", "gateway"), stopped);
    String out = output.toString(StandardCharsets.UTF_8);
    // 1 -> 2 runtimes: the trainer gains the runtime list; the gateway gains it and reads one more runtime's metrics.
    assertTrue(out.contains("restarting trainer: its configuration changed (PROMPTUNE_RUNTIME_TARGETS)\n"), out);
    assertTrue(out.contains("restarting gateway: its configuration changed (PROMPTUNE_RUNTIME_TARGETS, "
        + "PROMPTUNE_SYSTEM_RUNTIME_METRICS)\n"), out);
    assertFalse(running("trainer"));
    assertFalse(running("gateway"));
    assertTrue(running("registry"), "the registry's environment did not change");
    assertTrue(running("runtime"), "the first runtime's environment did not change");
  }

  @Test
  void anotherTrainerRestartsOnlyTheGatewayWhichReadsTheTrainerList() throws Exception {
    runningAt(2, 1);
    assertEquals(List.of("gateway"), launcher().restartReconfigured(topology.services(2, 2)));
    String out = output.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("restarting gateway: its configuration changed (PROMPTUNE_SYSTEM_TRAINER_METRICS, "
        + "PROMPTUNE_TRAINER_TARGETS)\n"), out);
    for (String name : List.of("registry", "runtime", "runtime-2", "trainer")) {
      assertTrue(running(name), name);
    }
  }

  @Test
  void aProcessWithoutARecordedEnvironmentIsLeftAlone() throws Exception {
    runningAt(1, 1);
    startStandIn("runtime-2"); // started by hand (or by an older launcher): nothing recorded for it
    startStandIn("trainer-2");
    Files.delete(home.resolve("run/trainer.env"));

    assertEquals(List.of("gateway"), launcher().restartReconfigured(topology.services(2, 2)));
    assertTrue(running("trainer"), "no recorded environment: not restarted although the runtime list changed");
    assertTrue(running("runtime-2"));
    assertTrue(running("trainer-2"));
  }
}
