package io.promptune.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's embedded database, watched through the server itself: a port held by another PostgreSQL is
 * refused; a SIGKILLed server is restarted by {@code up}; {@code down} stops a server whose launcher process is gone.
 * Real PostgreSQL servers, no services.
 */
class EmbeddedDatabaseLauncherTest {

  @TempDir
  Path home;

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private Launcher launcher;

  private Launcher launcher(Map<String, String> env) {
    launcher = new Launcher(Path.of("."), home, env, new PrintStream(output, true, StandardCharsets.UTF_8));
    return launcher;
  }

  @AfterEach
  void down() {
    if (launcher != null) {
      launcher.down();
      assertEquals(List.of(), launcher.embeddedServer().processes(), "postgres processes left behind");
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void verifyTellsOurServerFromAnotherOne(@TempDir Path other) throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(home.resolve("pgdata"), 0)) {
      PostgresServer ours = new PostgresServer(home.resolve("pgdata"));
      assertTrue(ours.verify(db.port()).ours(), ours.verify(db.port()).detail());
      assertTrue(ours.verify().ours());
      assertEquals(db.port(), ours.port().orElseThrow());

      PostgresServer.Verdict foreign = new PostgresServer(other).verify(db.port());
      assertFalse(foreign.ours());
      assertTrue(foreign.answered());
      assertTrue(foreign.detail().contains("another PostgreSQL"), foreign.detail());

      int free = freePort();
      PostgresServer.Verdict nothing = ours.verify(free);
      assertFalse(nothing.ours());
      assertFalse(nothing.answered(), nothing.detail());
    }
  }

  @Test
  void startingOnAPortAnotherPostgresHoldsFailsInsteadOfUsingThatServer(@TempDir Path other) throws Exception {
    try (EmbeddedDatabase foreign = EmbeddedDatabase.start(other.resolve("pgdata"), 0)) {
      java.io.IOException e = assertThrows(java.io.IOException.class,
          () -> EmbeddedDatabase.start(home.resolve("pgdata"), foreign.port()).close());
      assertTrue(e.getMessage().contains("already in use"), e.getMessage());
      assertTrue(e.getMessage().contains(other.resolve("pgdata").toRealPath().toString()), e.getMessage());
    }
  }

  @Test
  void upRefusesWhenAnotherPostgresAnswersOnItsPort(@TempDir Path other) throws Exception {
    try (EmbeddedDatabase foreign = EmbeddedDatabase.start(other.resolve("pgdata"), 0)) {
      Launcher l = launcher(Map.of("PROMPTUNE_DB_PORT", Integer.toString(foreign.port())));
      Exception e = assertThrows(Exception.class, () -> l.up(Duration.ofSeconds(30)));
      assertTrue(e.getMessage().contains("port " + foreign.port() + " is already in use"), e.getMessage());
      assertTrue(e.getMessage().contains("PROMPTUNE_PORT_OFFSET"), e.getMessage());
      assertTrue(l.supervisor().find(Launcher.POSTGRES).isEmpty(), "no database process left from the failed up");
      assertTrue(new PostgresServer(other.resolve("pgdata")).verify(foreign.port()).ours(),
          "the other deployment's server is untouched");
    }
  }

  @Test
  void upRestartsASigkilledServerAndStatusSaysItWasDown() throws Exception {
    Launcher l = launcher(Map.of("PROMPTUNE_DB_PORT", Integer.toString(freePort())));
    String url = l.upDatabase();
    assertEquals("SERVING", l.status().get(0).health(), l.status().toString());
    ProcessHandle postmaster = l.embeddedServer().postmaster().orElseThrow();
    assertEquals(postmaster.pid(), l.status().get(0).pid());

    postmaster.destroyForcibly();
    postmaster.onExit().get(30, TimeUnit.SECONDS);
    assertTrue(List.of("STOPPED", "NOT_SERVING").contains(l.status().get(0).health()), l.status().toString());

    assertEquals(url, l.upDatabase(), "same port, same URL");
    assertEquals("SERVING", l.status().get(0).health(), output.toString());
    assertTrue(l.embeddedServer().postmaster().orElseThrow().pid() != postmaster.pid());
  }

  @Test
  void downStopsTheServerEvenWhenItsLauncherProcessWasKilled() throws Exception {
    Launcher l = launcher(Map.of("PROMPTUNE_DB_PORT", "0"));
    l.upDatabase();
    ProcessHandle wrapper = l.supervisor().find(Launcher.POSTGRES).orElseThrow();
    ProcessHandle postmaster = l.embeddedServer().postmaster().orElseThrow();
    wrapper.destroyForcibly();
    wrapper.onExit().get(30, TimeUnit.SECONDS);
    assertEquals("SERVING", l.status().get(0).health(), "the server outlives its launcher process");

    assertTrue(l.down().contains(Launcher.POSTGRES));
    postmaster.onExit().get(30, TimeUnit.SECONDS);
    assertEquals(List.of(), l.embeddedServer().processes());
    assertEquals("STOPPED", l.status().get(0).health());
    assertFalse(Files.exists(home.resolve("pgdata/postmaster.pid")), "fast shutdown removes postmaster.pid");
  }
}
