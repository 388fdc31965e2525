package io.promptune.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the embedded PostgreSQL as its own process so it outlives {@code promptune up}. Writes the JDBC URL to
 * {@code <ready-file>} once the server accepts connections, and stops the server on SIGTERM.
 *
 * <p>Usage: {@code EmbeddedPostgresMain <data-dir> <port> <ready-file>}
 */
public final class EmbeddedPostgresMain {

  private EmbeddedPostgresMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: EmbeddedPostgresMain <data-dir> <port> <ready-file>");
      System.exit(2);
    }
    Path dataDir = Path.of(args[0]);
    int port = Integer.parseInt(args[1]);
    Path readyFile = Path.of(args[2]);
    EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, port);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        db.close();
        Files.deleteIfExists(readyFile);
      } catch (Exception e) {
        System.err.println("stopping PostgreSQL: " + e.getMessage());
      } finally {
        stopped.countDown();
      }
    }, "postgres-stop"));
    Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
    Files.writeString(tmp, db.jdbcUrl());
    Files.move(tmp, readyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    System.out.println("PostgreSQL ready at " + db.jdbcUrl() + " (data in " + dataDir + ")");
    // This process lives exactly as long as its server: if the server dies (e.g. SIGKILL), say so and exit, so
    // that `promptune status` and `up` see it at once (they also check the server itself).
    PostgresServer server = new PostgresServer(dataDir);
    long pid = server.postmaster().map(ProcessHandle::pid).orElse(-1L);
    while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      if (server.postmaster().isEmpty()) {
        System.err.println("PostgreSQL server (pid " + pid + ") is gone; exiting. `promptune up` starts it again.");
        System.exit(1);
      }
    }
  }
}
