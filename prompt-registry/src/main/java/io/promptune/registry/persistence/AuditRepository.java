package io.promptune.registry.persistence;

import io.promptune.api.v1.AuditAction;
import io.promptune.registry.domain.AuditEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** registry.audit_events: append and read; the database rejects updates and deletes. */
@ApplicationScoped
public class AuditRepository {

  /**
   * Held from the audit insert to commit. Ids are drawn from a sequence when a row is inserted, not when it
   * commits; without this lock a reader paging by id could pass over an id whose transaction commits later.
   * Writers append as their last statement, so the lock is held only for the insert and the commit.
   */
  private static final long AUDIT_ORDER_LOCK = 0x7072_6567_6175_6431L;

  private static final String SELECT = "SELECT id, action, actor, occurred_at, prompt_name, environment, "
      + "from_version_id, to_version_id, reason, forced, details::text AS details FROM registry.audit_events ";

  /** Appends the events in order. Call last in the transaction. */
  public List<AuditEvent> append(Connection c, List<AuditEvent> events) throws SQLException {
    try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      lock.setLong(1, AUDIT_ORDER_LOCK);
      lock.execute();
    }
    List<AuditEvent> stored = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.audit_events (action, actor, prompt_name, "
        + "environment, from_version_id, to_version_id, reason, forced, details) "
        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb)) "
        + "RETURNING id, action, actor, occurred_at, prompt_name, environment, from_version_id, to_version_id, "
        + "reason, forced, details::text AS details")) {
      for (AuditEvent e : events) {
        ps.setString(1, e.action().name());
        ps.setString(2, e.actor());
        ps.setString(3, e.promptName());
        ps.setString(4, e.environment());
        ps.setObject(5, e.fromVersionId());
        ps.setObject(6, e.toVersionId());
        ps.setString(7, e.reason());
        ps.setBoolean(8, e.forced());
        ps.setString(9, AuditDetails.write(e.gateChecks(), e.gate()));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          stored.add(map(rs));
        }
      }
    }
    return stored;
  }

  /** Events oldest first, after {@code afterId} when set, filtered by prompt and/or environment when set. */
  public List<AuditEvent> list(Connection c, String promptName, String environment, Long afterId, int limit)
      throws SQLException {
    StringBuilder sql = new StringBuilder(SELECT + "WHERE true");
    List<Object> args = new ArrayList<>();
    if (promptName != null) {
      sql.append(" AND prompt_name = ?");
      args.add(promptName);
    }
    if (environment != null) {
      sql.append(" AND environment = ?");
      args.add(environment);
    }
    if (afterId != null) {
      sql.append(" AND id > ?");
      args.add(afterId);
    }
    sql.append(" ORDER BY id LIMIT ?");
    args.add(limit);
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      return many(ps);
    }
  }

  /** The promotions and rollbacks of one alias, oldest first. */
  public List<AuditEvent> aliasHistory(Connection c, String promptName, String environment) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + "WHERE prompt_name = ? AND environment = ? "
        + "AND action IN ('PROMOTE', 'ROLLBACK') ORDER BY id")) {
      ps.setString(1, promptName);
      ps.setString(2, environment);
      return many(ps);
    }
  }

  private static List<AuditEvent> many(PreparedStatement ps) throws SQLException {
    List<AuditEvent> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(map(rs));
      }
    }
    return out;
  }

  private static AuditEvent map(ResultSet rs) throws SQLException {
    return new AuditEvent(rs.getLong("id"), AuditAction.valueOf(rs.getString("action")), rs.getString("actor"),
        rs.getObject("occurred_at", OffsetDateTime.class).toInstant(), rs.getString("prompt_name"),
        rs.getString("environment"), rs.getObject("from_version_id", UUID.class),
        rs.getObject("to_version_id", UUID.class), rs.getString("reason"), rs.getBoolean("forced"),
        AuditDetails.gateChecks(rs.getString("details")), AuditDetails.gate(rs.getString("details")));
  }
}
