package io.promptune.testing;

import io.promptune.deploy.EmbeddedDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Starts a real, temporary PostgreSQL for a Quarkus test run and points the datasource at it. Shared by the
 * services' tests (registry, trainer).
 */
public class EmbeddedDatabaseResource implements QuarkusTestResourceLifecycleManager {

  private EmbeddedDatabase database;

  @Override
  public Map<String, String> start() {
    try {
      database = EmbeddedDatabase.startTemporary();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Map.of("quarkus.datasource.jdbc.url", database.jdbcUrl(),
        "quarkus.datasource.username", EmbeddedDatabase.USER,
        "quarkus.datasource.password", EmbeddedDatabase.PASSWORD);
  }

  @Override
  public void stop() {
    try {
      if (database != null) {
        database.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
