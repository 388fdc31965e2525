package io.promptune.deploy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * A real PostgreSQL server run from the binaries zonky publishes on Maven Central: the launcher's default
 * database when no PROMPTUNE_DB_URL is given, and the database of every service test. Never a fake.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  public static final String DATABASE = "promptune";
  public static final String USER = "postgres";
  public static final String PASSWORD = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts a server.
   *
   * @param dataDirectory where the cluster lives; kept across restarts. Null: a fresh temporary cluster.
   * @param port          0 picks a free port
   */
  public static EmbeddedDatabase start(Path dataDirectory, int port) throws IOException {
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setPGStartupWait(Duration.ofSeconds(60))
        .setServerConfig("max_connections", "200")
        .setServerConfig("fsync", dataDirectory == null ? "off" : "on");
    if (dataDirectory != null) {
      Files.createDirectories(dataDirectory);
      builder.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
    }
    if (port > 0) {
      builder.setPort(port);
    }
    if (dataDirectory != null && port > 0) {
      refuseTakenPort(new PostgresServer(dataDirectory), port);
    }
    EmbeddedPostgres postgres = builder.start();
    if (dataDirectory != null) {
      // The embedded library counts the server as started as soon as any PostgreSQL answers on the port. If
      // another one already listened there, ours could not bind and exited: that other server must not be used.
      PostgresServer.Verdict v = new PostgresServer(dataDirectory).verify(postgres.getPort());
      if (!v.ours()) {
        postgres.close();
        throw new IOException("embedded PostgreSQL did not start: " + v.detail());
      }
    }
    EmbeddedDatabase db = new EmbeddedDatabase(postgres);
    db.createDatabaseIfMissing();
    return db;
  }

  /**
   * Fails when something other than this data directory's own server already listens on {@code port}: starting
   * would fail to bind, and the services would end up on the other server's data.
   */
  static void refuseTakenPort(PostgresServer server, int port) throws IOException {
    if (!PostgresServer.portInUse(port)) {
      return;
    }
    PostgresServer.Verdict v = server.verify(port);
    if (!v.ours()) {
      throw new IOException("port " + port + " is already in use: " + v.detail() + ". Another Promptune "
          + "deployment? Give this one its own ports with PROMPTUNE_PORT_OFFSET (or PROMPTUNE_DB_PORT for the "
          + "database alone).");
    }
  }

  /** A fresh temporary server on a free port, for tests. */
  public static EmbeddedDatabase startTemporary() throws IOException {
    return start(null, 0);
  }

  public int port() {
    return postgres.getPort();
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
  }

  private void createDatabaseIfMissing() throws IOException {
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
        if (rs.next()) {
          return;
        }
      }
      s.execute("CREATE DATABASE " + DATABASE);
    } catch (SQLException e) {
      throw new IOException("could not create database " + DATABASE + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
