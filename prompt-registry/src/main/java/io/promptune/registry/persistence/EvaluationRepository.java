package io.promptune.registry.persistence;

import io.promptune.registry.domain.Evaluation;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** registry.evaluations: append and read; the database rejects updates and deletes. */
@ApplicationScoped
public class EvaluationRepository {

  private static final String SELECT = "SELECT e.id, e.version_id, p.name AS prompt_name, v.number, e.dataset_id, "
      + "e.split, e.metric, e.value, e.examples, e.job_id, e.created_by, e.created_at FROM registry.evaluations e "
      + "JOIN registry.versions v ON v.id = e.version_id JOIN registry.prompts p ON p.id = v.prompt_id ";

  /**
   * Appends a result. A job's second record of the same (version, dataset, split, metric) inserts nothing: the
   * answer is then empty, and {@link #findByJob} finds the stored one.
   */
  public Optional<Long> insert(Connection c, UUID versionId, String datasetId, String split, String metric,
      double value, long examples, String jobId, String createdBy) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.evaluations (version_id, dataset_id, split, "
        + "metric, value, examples, job_id, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        + "ON CONFLICT (version_id, job_id, dataset_id, split, metric) WHERE job_id <> '' DO NOTHING RETURNING id")) {
      int i = 1;
      ps.setObject(i++, versionId);
      ps.setString(i++, datasetId);
      ps.setString(i++, split);
      ps.setString(i++, metric);
      ps.setDouble(i++, value);
      ps.setLong(i++, examples);
      ps.setString(i++, jobId);
      ps.setString(i, createdBy);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }

  public Optional<Evaluation> findById(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + "WHERE e.id = ?")) {
      ps.setLong(1, id);
      List<Evaluation> all = many(ps);
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }
  }

  public Optional<Evaluation> findByJob(Connection c, UUID versionId, String jobId, String datasetId, String split,
      String metric) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + "WHERE e.version_id = ? AND e.job_id = ? "
        + "AND e.dataset_id = ? AND e.split = ? AND e.metric = ?")) {
      ps.setObject(1, versionId);
      ps.setString(2, jobId);
      ps.setString(3, datasetId);
      ps.setString(4, split);
      ps.setString(5, metric);
      List<Evaluation> all = many(ps);
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }
  }

  /** A version's results oldest first, after {@code afterId} when set; null filters match all. */
  public List<Evaluation> list(Connection c, UUID versionId, String datasetId, String split, String metric,
      Long afterId, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder(SELECT + "WHERE e.version_id = ?");
    List<Object> args = new ArrayList<>();
    args.add(versionId);
    if (datasetId != null) {
      sql.append(" AND e.dataset_id = ?");
      args.add(datasetId);
    }
    if (split != null) {
      sql.append(" AND e.split = ?");
      args.add(split);
    }
    if (metric != null) {
      sql.append(" AND e.metric = ?");
      args.add(metric);
    }
    if (afterId != null) {
      sql.append(" AND e.id > ?");
      args.add(afterId);
    }
    sql.append(" ORDER BY e.id LIMIT ?");
    args.add(limit);
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      return many(ps);
    }
  }

  /** The latest (highest id) result of a version on (dataset, split, metric). */
  public Optional<Evaluation> latest(Connection c, UUID versionId, String datasetId, String split, String metric)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + "WHERE e.version_id = ? AND e.dataset_id = ? "
        + "AND e.split = ? AND e.metric = ? ORDER BY e.id DESC LIMIT 1")) {
      ps.setObject(1, versionId);
      ps.setString(2, datasetId);
      ps.setString(3, split);
      ps.setString(4, metric);
      List<Evaluation> all = many(ps);
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }
  }

  private static List<Evaluation> many(PreparedStatement ps) throws SQLException {
    List<Evaluation> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Evaluation(rs.getLong("id"), rs.getObject("version_id", UUID.class), rs.getString("prompt_name"),
            rs.getInt("number"), rs.getString("dataset_id"), rs.getString("split"), rs.getString("metric"),
            rs.getDouble("value"), rs.getLong("examples"), rs.getString("job_id"), rs.getString("created_by"),
            rs.getObject("created_at", OffsetDateTime.class).toInstant()));
      }
    }
    return out;
  }
}
