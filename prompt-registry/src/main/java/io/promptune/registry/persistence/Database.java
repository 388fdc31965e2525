package io.promptune.registry.persistence;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Plain JDBC transactions. Every write of the registry is one {@link #inTransaction} call: all of it commits, or
 * none of it does. Isolation is READ COMMITTED; the services take explicit row locks where order matters.
 */
@ApplicationScoped
public class Database {

  @Inject
  DataSource dataSource;

  /** Runs {@code work} in one transaction; commits when it returns, rolls back when it throws. */
  public <T> T inTransaction(SqlWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new DataAccessException("registry transaction failed", e);
    }
  }

  /**
   * Runs read-only {@code work} in a REPEATABLE READ, read-only transaction, so that every statement of it sees
   * the same snapshot (a version and its lineage, a page and its total, ...).
   */
  public <T> T read(SqlWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      int isolation = c.getTransactionIsolation();
      c.setAutoCommit(false);
      c.setReadOnly(true);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setTransactionIsolation(isolation);
        c.setReadOnly(false);
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new DataAccessException("registry query failed", e);
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException suppressed) {
      cause.addSuppressed(suppressed);
    }
  }
}
