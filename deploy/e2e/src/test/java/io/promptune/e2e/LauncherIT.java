package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.deploy.HealthProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system as real processes, through the real launcher: {@code up} brings PostgreSQL and four
 * services to SERVING; {@code down} leaves no process behind.
 */
class LauncherIT {

  @TempDir
  static Path home;

  private static Cli cli;

  @BeforeAll
  static void setUp() {
    cli = new Cli(home);
  }

  @AfterAll
  static void tearDown() throws Exception {
    cli.run("down"); // whatever happened, leave nothing running
  }

  @Test
  void upStartsFourHealthyServicesAndDownStopsEveryProcess() throws Exception {
    Cli.Result up = cli.run("up", "--timeout", "240");
    assertEquals(0, up.exitCode(), up.output());
    for (String service : List.of("registry", "runtime", "trainer", "gateway")) {
      assertTrue(up.output().lines().anyMatch(l -> l.startsWith(service) && l.contains("SERVING")),
          service + " not SERVING in:\n" + up.output());
    }
    // Ask each service's health service directly, not through the launcher.
    assertTrue(HealthProbe.isServing("127.0.0.1", cli.grpcPort(9102), "promptune.v1.PromptRegistry"));
    assertTrue(HealthProbe.isServing("127.0.0.1", cli.grpcPort(9101), "promptune.v1.ModelRuntime"));
    assertTrue(HealthProbe.isServing("127.0.0.1", cli.grpcPort(9103), "promptune.v1.Trainer"));
    assertTrue(HealthProbe.isServing("127.0.0.1", cli.grpcPort(9104), ""));
    assertTrue(Files.exists(home.resolve("pgdata")), "embedded PostgreSQL keeps its data under PROMPTUNE_HOME");

    Cli.Result status = cli.run("status");
    assertEquals(0, status.exitCode(), status.output());
    List<Long> pids = cli.ourProcesses();
    assertEquals(5, pids.size(), "postgres + four services, got " + pids);

    // The JVM that launched PostgreSQL is SIGKILLed: the server lives on, status asks the server itself and says
    // so, and down still stops it (through pgdata/postmaster.pid), leaving no process.
    ProcessHandle wrapper = ProcessHandle.of(Long.parseLong(Files.readString(home.resolve("run/postgres.pid"))
        .strip())).orElseThrow();
    assertTrue(wrapper.info().commandLine().orElse("").contains("EmbeddedPostgresMain"));
    wrapper.destroyForcibly();
    wrapper.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    Cli.Result afterKill = cli.run("status");
    assertEquals(0, afterKill.exitCode(), afterKill.output());
    assertTrue(afterKill.output().lines().anyMatch(l -> l.startsWith("postgres") && l.contains(" SERVING ")),
        afterKill.output());
    assertEquals(1, cli.postgresServersUnder(home).size(), "the server outlives its launcher JVM");

    Cli.Result down = cli.run("down");
    assertEquals(0, down.exitCode(), down.output());
    assertTrue(down.output().contains("postgres"), down.output());
    assertEquals(List.of(), cli.ourProcesses(), "processes left behind after down");
    assertEquals(List.of(), cli.postgresServersUnder(home), "postgres server left behind");
    assertEquals(3, cli.run("status").exitCode(), "status after down reports services stopped");
  }
}
