package io.promptune.common.db;

import java.sql.SQLException;

/**
 * A database failure that is not the caller's fault, unchecked. {@link #outage()} tells a database that cannot be
 * reached (no connection to be had, a connection lost, the server shutting down) from a failing statement.
 */
public class DatabaseException extends RuntimeException {

  private final boolean noConnection;

  public DatabaseException(String message, SQLException cause) {
    this(message, cause, false);
  }

  /** {@code noConnection}: the failure was in getting a connection at all. */
  public DatabaseException(String message, SQLException cause, boolean noConnection) {
    super(message + ": " + cause.getMessage(), cause);
    this.noConnection = noConnection;
  }

  /** The SQLSTATE of the underlying error (may be null). */
  public String sqlState() {
    return ((SQLException) getCause()).getSQLState();
  }

  /** True when the database is unreachable rather than a statement wrong: worth retrying later. */
  public boolean outage() {
    return noConnection || isOutage(sqlState());
  }

  /**
   * SQLSTATE class 08 (connection exceptions), and PostgreSQL's 57P01-57P03 (admin or crash shutdown, cannot
   * connect now): the server is gone or going, the statement is not at fault.
   */
  public static boolean isOutage(String sqlState) {
    return sqlState != null && (sqlState.startsWith("08") || sqlState.equals("57P01") || sqlState.equals("57P02")
        || sqlState.equals("57P03"));
  }
}
