package io.promptune.common.db;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Plain JDBC transactions on a {@link DataSource}: the work commits when it returns and rolls back when it throws.
 * What the work throws reaches the caller unchanged (a {@link SQLException} wrapped in a
 * {@link DatabaseException}); a failing rollback or a failing reset of the connection is attached to it as a
 * suppressed exception, never put in its place. A connection that cannot be had at all is a
 * {@link DatabaseException} whose {@link DatabaseException#outage() outage()} is true.
 */
public final class Transactions {

  private Transactions() {}

  /** Runs {@code work} in one transaction at the connection's default isolation (READ COMMITTED in PostgreSQL). */
  public static <T> T inTransaction(DataSource dataSource, SqlWork<T> work) {
    return run(dataSource, false, work);
  }

  /**
   * Runs read-only {@code work} in a REPEATABLE READ, read-only transaction, so that every statement of it sees
   * the same snapshot (a row and its children, a page and its total, ...).
   */
  public static <T> T readSnapshot(DataSource dataSource, SqlWork<T> work) {
    return run(dataSource, true, work);
  }

  private static <T> T run(DataSource dataSource, boolean snapshot, SqlWork<T> work) {
    Connection connection;
    try {
      connection = dataSource.getConnection();
    } catch (SQLException e) {
      throw new DatabaseException("no database connection", e, true);
    }
    try (Connection c = connection) {
      int isolation = snapshot ? c.getTransactionIsolation() : -1;
      c.setAutoCommit(false);
      if (snapshot) {
        c.setReadOnly(true);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      }
      Throwable failure = null;
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        failure = e;
        rollback(c, e);
        throw e;
      } finally {
        restore(c, snapshot, isolation, failure);
      }
    } catch (SQLException e) {
      throw new DatabaseException(snapshot ? "database read failed" : "database transaction failed", e);
    }
  }

  private static void rollback(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  /** Puts the connection back as it was; after a failure, a failing reset only adds to that failure. */
  private static void restore(Connection c, boolean snapshot, int isolation, Throwable failure) throws SQLException {
    try {
      if (snapshot) {
        c.setTransactionIsolation(isolation);
        c.setReadOnly(false);
      }
      c.setAutoCommit(true);
    } catch (SQLException | RuntimeException e) {
      if (failure == null) {
        throw e;
      }
      failure.addSuppressed(e);
    }
  }
}
