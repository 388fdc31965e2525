package io.promptune.registry.persistence;

import io.promptune.registry.domain.Alias;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** registry.aliases: one row per (prompt, environment) that has ever been promoted to. */
@ApplicationScoped
public class AliasRepository {

  private static final String SELECT = "SELECT p.name, a.environment, a.version_id, v.number, a.updated_at, "
      + "a.updated_by FROM registry.aliases a JOIN registry.prompts p ON p.id = a.prompt_id "
      + "JOIN registry.versions v ON v.id = a.version_id ";

  public Optional<Alias> find(Connection c, long promptId, String environment) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + "WHERE a.prompt_id = ? AND a.environment = ?")) {
      ps.setLong(1, promptId);
      ps.setString(2, environment);
      List<Alias> all = many(ps);
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }
  }

  /** The prompt's aliases in configured environments, in promotion order. */
  public List<Alias> listForPrompt(Connection c, long promptId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + "JOIN registry.environments e ON e.name = a.environment "
        + "WHERE a.prompt_id = ? AND e.position IS NOT NULL ORDER BY e.position")) {
      ps.setLong(1, promptId);
      return many(ps);
    }
  }

  /** Points (prompt, environment) at the version; returns when. Call with the prompt row locked. */
  public Instant put(Connection c, long promptId, String environment, UUID versionId, String actor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.aliases (prompt_id, environment, version_id, "
        + "updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (prompt_id, environment) DO UPDATE SET "
        + "version_id = EXCLUDED.version_id, updated_at = clock_timestamp(), updated_by = EXCLUDED.updated_by "
        + "RETURNING updated_at")) {
      ps.setLong(1, promptId);
      ps.setString(2, environment);
      ps.setObject(3, versionId);
      ps.setString(4, actor);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getObject(1, OffsetDateTime.class).toInstant();
      }
    }
  }

  private static List<Alias> many(PreparedStatement ps) throws SQLException {
    List<Alias> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Alias(rs.getString(1), rs.getString(2), rs.getObject(3, UUID.class), rs.getInt(4),
            rs.getObject(5, OffsetDateTime.class).toInstant(), rs.getString(6)));
      }
    }
    return out;
  }
}
