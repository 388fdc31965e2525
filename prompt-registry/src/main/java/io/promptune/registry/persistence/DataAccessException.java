package io.promptune.registry.persistence;

import java.sql.SQLException;

/** A database failure that is not the caller's fault (connection lost, bug in a query, ...). */
public class DataAccessException extends RuntimeException {

  public DataAccessException(String message, SQLException cause) {
    super(message + ": " + cause.getMessage(), cause);
  }

  /** The SQLSTATE of the underlying error. */
  public String sqlState() {
    return ((SQLException) getCause()).getSQLState();
  }
}
