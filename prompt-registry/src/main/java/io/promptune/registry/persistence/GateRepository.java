package io.promptune.registry.persistence;

import io.promptune.registry.domain.Gate;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** registry.promotion_gates: one row per (environment, name), edited by admins (each edit audited). */
@ApplicationScoped
public class GateRepository {

  private static final String COLUMNS = "g.environment, g.name, g.prompt_name, g.task, g.dataset_id, g.split, "
      + "g.metric, g.threshold, g.max_regression, g.lower_is_better, g.description, g.updated_by, g.updated_at";

  /** Creates or replaces the gate; returns it as stored. */
  public Gate put(Connection c, Gate g) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.promotion_gates AS g (environment, name, "
        + "prompt_name, task, dataset_id, split, metric, threshold, max_regression, lower_is_better, description, "
        + "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (environment, name) DO UPDATE SET "
        + "prompt_name = EXCLUDED.prompt_name, task = EXCLUDED.task, dataset_id = EXCLUDED.dataset_id, "
        + "split = EXCLUDED.split, metric = EXCLUDED.metric, threshold = EXCLUDED.threshold, "
        + "max_regression = EXCLUDED.max_regression, lower_is_better = EXCLUDED.lower_is_better, "
        + "description = EXCLUDED.description, updated_by = EXCLUDED.updated_by, updated_at = clock_timestamp() "
        + "RETURNING " + COLUMNS)) {
      int i = 1;
      ps.setString(i++, g.environment());
      ps.setString(i++, g.name());
      ps.setString(i++, g.promptName());
      ps.setString(i++, g.task());
      ps.setString(i++, g.datasetId());
      ps.setString(i++, g.split());
      ps.setString(i++, g.metric());
      setDouble(ps, i++, g.threshold());
      setDouble(ps, i++, g.maxRegression());
      ps.setBoolean(i++, g.lowerIsBetter());
      ps.setString(i++, g.description());
      ps.setString(i, g.updatedBy());
      return many(ps).get(0);
    }
  }

  /** Locks and returns the gate, if any. */
  public Optional<Gate> lock(Connection c, String environment, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM registry.promotion_gates g "
        + "WHERE g.environment = ? AND g.name = ? FOR UPDATE")) {
      ps.setString(1, environment);
      ps.setString(2, name);
      List<Gate> all = many(ps);
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }
  }

  public void delete(Connection c, String environment, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM registry.promotion_gates WHERE environment = ? "
        + "AND name = ?")) {
      ps.setString(1, environment);
      ps.setString(2, name);
      ps.executeUpdate();
    }
  }

  /** Gates of one environment (all when null), by environment position then name. */
  public List<Gate> list(Connection c, String environment) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM registry.promotion_gates g "
        + "JOIN registry.environments e ON e.name = g.environment"
        + (environment == null ? "" : " WHERE g.environment = ?") + " ORDER BY e.position NULLS LAST, "
        + "g.environment, g.name")) {
      if (environment != null) {
        ps.setString(1, environment);
      }
      return many(ps);
    }
  }

  private static void setDouble(PreparedStatement ps, int i, Double value) throws SQLException {
    if (value == null) {
      ps.setNull(i, Types.DOUBLE);
    } else {
      ps.setDouble(i, value);
    }
  }

  private static List<Gate> many(PreparedStatement ps) throws SQLException {
    List<Gate> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Gate(rs.getString("environment"), rs.getString("name"), rs.getString("prompt_name"),
            rs.getString("task"), rs.getString("dataset_id"), rs.getString("split"), rs.getString("metric"),
            rs.getObject("threshold", Double.class), rs.getObject("max_regression", Double.class),
            rs.getBoolean("lower_is_better"), rs.getString("description"), rs.getString("updated_by"),
            rs.getObject("updated_at", OffsetDateTime.class).toInstant()));
      }
    }
    return out;
  }
}
