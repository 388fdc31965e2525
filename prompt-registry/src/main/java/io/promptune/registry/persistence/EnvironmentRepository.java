package io.promptune.registry.persistence;

import io.promptune.registry.domain.Environment;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** registry.environments. */
@ApplicationScoped
public class EnvironmentRepository {

  // Any constant both replicas agree on; serialises concurrent syncs at start.
  private static final long SYNC_LOCK = 0x7072_6567_656e_7631L;

  /** The configured environments in promotion order. */
  public List<Environment> listActive(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT name, position FROM registry.environments WHERE position IS NOT NULL ORDER BY position")) {
      List<Environment> out = new ArrayList<>();
      while (rs.next()) {
        out.add(new Environment(rs.getString(1), rs.getInt(2)));
      }
      return out;
    }
  }

  /** Whether the environment is, or once was, configured. */
  public boolean exists(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM registry.environments WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Makes the table match {@code names} (in order). Environments no longer configured keep their row, with no
   * position, because aliases and audit events still name them.
   */
  public void sync(Connection c, List<String> names) throws SQLException {
    try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      lock.setLong(1, SYNC_LOCK);
      lock.execute();
    }
    try (Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE registry.environments SET position = NULL WHERE position IS NOT NULL");
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.environments (name, position) VALUES (?, ?) "
        + "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position")) {
      for (int i = 0; i < names.size(); i++) {
        ps.setString(1, names.get(i));
        ps.setInt(2, i);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }
}
