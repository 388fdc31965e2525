package io.promptune.registry.persistence;

import io.promptune.registry.domain.Prompt;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** registry.prompts. */
@ApplicationScoped
public class PromptRepository {

  private static final String COLUMNS = "id, name, task, description, owner, created_at, latest_version";

  /** Inserts the prompt, or returns empty when the name is taken (without aborting the transaction). */
  public Optional<Prompt> insertIfAbsent(Connection c, String name, String task, String description, String owner)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.prompts (name, task, description, owner) "
        + "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING " + COLUMNS)) {
      ps.setString(1, name);
      ps.setString(2, task);
      ps.setString(3, description);
      ps.setString(4, owner);
      return one(ps);
    }
  }

  public Optional<Prompt> findByName(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM registry.prompts WHERE name = ?")) {
      ps.setString(1, name);
      return one(ps);
    }
  }

  /**
   * Reads the prompt and locks its row until the transaction ends. Every change to a prompt's versions or aliases
   * takes this lock first, which serialises them per prompt.
   */
  public Optional<Prompt> lockByName(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM registry.prompts WHERE name = ? FOR UPDATE")) {
      ps.setString(1, name);
      return one(ps);
    }
  }

  public void setLatestVersion(Connection c, long promptId, int number) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE registry.prompts SET latest_version = ? WHERE id = ?")) {
      ps.setInt(1, number);
      ps.setLong(2, promptId);
      ps.executeUpdate();
    }
  }

  /** Prompts ordered by name, after {@code afterName} (exclusive) when set, of {@code task} when set. */
  public List<Prompt> list(Connection c, String task, String afterName, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM registry.prompts WHERE true");
    List<String> args = new ArrayList<>();
    if (task != null) {
      sql.append(" AND task = ?");
      args.add(task);
    }
    if (afterName != null) {
      sql.append(" AND name > ?");
      args.add(afterName);
    }
    // The column is COLLATE "C": byte order, the same order in which the cursor compares, whatever the locale.
    sql.append(" ORDER BY name LIMIT ?");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = 1;
      for (String a : args) {
        ps.setString(i++, a);
      }
      ps.setInt(i, limit);
      List<Prompt> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(map(rs));
        }
      }
      return out;
    }
  }

  private static Optional<Prompt> one(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(map(rs)) : Optional.empty();
    }
  }

  private static Prompt map(ResultSet rs) throws SQLException {
    return new Prompt(rs.getLong("id"), rs.getString("name"), rs.getString("task"), rs.getString("description"),
        rs.getString("owner"), rs.getObject("created_at", java.time.OffsetDateTime.class).toInstant(),
        rs.getInt("latest_version"));
  }
}
