package io.promptune.trainer.db;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Runs a unit of work in one JDBC transaction (commit on success, rollback on any failure). */
public final class Tx {

  @FunctionalInterface
  public interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private Tx() {}

  public static <T> T run(DataSource db, Work<T> work) {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.apply(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new DatabaseException(e);
    }
  }

  /** A database failure, unchecked. */
  public static final class DatabaseException extends RuntimeException {
    public DatabaseException(SQLException e) {
      super("database: " + e.getMessage(), e);
    }

    public String sqlState() {
      return ((SQLException) getCause()).getSQLState();
    }
  }
}
