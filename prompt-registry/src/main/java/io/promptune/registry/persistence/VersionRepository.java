package io.promptune.registry.persistence;

import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.InitMethod;
import io.promptune.registry.domain.Ensemble;
import io.promptune.registry.domain.NewVersion;
import io.promptune.registry.domain.PromptTensor;
import io.promptune.registry.domain.Version;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** registry.versions: insert and read only; the database rejects updates and deletes. */
@ApplicationScoped
public class VersionRepository {

  private static String select(boolean withTensor) {
    return "SELECT v.id, v.prompt_id, p.name AS prompt_name, v.number, v.length, v.d_model, "
        + (withTensor ? "v.tensor" : "NULL::bytea AS tensor")
        + ", v.sha256, v.base_model_id, v.base_model_fingerprint, v.tokenizer_fingerprint, v.init_method, "
        + "v.training_job_id, v.hyperparameters::text AS hyperparameters, v.metrics::text AS metrics, v.created_by, "
        + "v.created_at, v.kind, v.combination_rule "
        + "FROM registry.versions v JOIN registry.prompts p ON p.id = v.prompt_id ";
  }

  /** Writes version {@code number} of the prompt; returns its creation time. */
  public Instant insert(Connection c, UUID id, long promptId, int number, NewVersion v, PromptTensor tensor,
      String sha256, String createdBy) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.versions (id, prompt_id, number, length, "
        + "d_model, dtype, tensor, sha256, base_model_id, base_model_fingerprint, tokenizer_fingerprint, init_method, "
        + "training_job_id, hyperparameters, metrics, created_by) "
        + "VALUES (?, ?, ?, ?, ?, 'FLOAT32', ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?) "
        + "RETURNING created_at")) {
      int i = 1;
      ps.setObject(i++, id);
      ps.setLong(i++, promptId);
      ps.setInt(i++, number);
      ps.setInt(i++, tensor.length());
      ps.setInt(i++, tensor.dModel());
      ps.setBytes(i++, tensor.data());
      ps.setString(i++, sha256);
      ps.setString(i++, v.baseModelId());
      ps.setString(i++, v.baseModelFingerprint());
      ps.setString(i++, v.tokenizerFingerprint());
      ps.setString(i++, v.initMethod().name());
      ps.setString(i++, v.trainingJobId());
      ps.setString(i++, JsonColumns.write(v.hyperparameters()));
      ps.setString(i++, JsonColumns.write(v.metrics()));
      ps.setString(i, createdBy);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getObject(1, OffsetDateTime.class).toInstant();
      }
    }
  }

  /**
   * Writes ensemble version {@code number} of the prompt: no bytes, length 0, the members' d_model and
   * fingerprints, its content digest as sha256. Returns its creation time.
   */
  public Instant insertEnsemble(Connection c, UUID id, long promptId, int number, int dModel, String sha256,
      String baseModelId, String baseModelFingerprint, String tokenizerFingerprint, CombinationRule rule,
      String trainingJobId, Map<String, String> hyperparameters, Map<String, Double> metrics, String createdBy)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.versions (id, prompt_id, number, length, "
        + "d_model, dtype, tensor, sha256, base_model_id, base_model_fingerprint, tokenizer_fingerprint, init_method, "
        + "training_job_id, hyperparameters, metrics, created_by, kind, combination_rule) "
        + "VALUES (?, ?, ?, 0, ?, 'FLOAT32', '\\x'::bytea, ?, ?, ?, ?, 'INIT_METHOD_UNSPECIFIED', ?, "
        + "CAST(? AS jsonb), CAST(? AS jsonb), ?, 'ENSEMBLE', ?) RETURNING created_at")) {
      int i = 1;
      ps.setObject(i++, id);
      ps.setLong(i++, promptId);
      ps.setInt(i++, number);
      ps.setInt(i++, dModel);
      ps.setString(i++, sha256);
      ps.setString(i++, baseModelId);
      ps.setString(i++, baseModelFingerprint);
      ps.setString(i++, tokenizerFingerprint);
      ps.setString(i++, trainingJobId);
      ps.setString(i++, JsonColumns.write(hyperparameters));
      ps.setString(i++, JsonColumns.write(metrics));
      ps.setString(i++, createdBy);
      ps.setString(i, rule.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getObject(1, OffsetDateTime.class).toInstant();
      }
    }
  }

  public Optional<Version> findById(Connection c, UUID id, boolean withTensor) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(select(withTensor) + "WHERE v.id = ?")) {
      ps.setObject(1, id);
      return one(ps);
    }
  }

  public Optional<Version> findByNumber(Connection c, String promptName, int number, boolean withTensor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(select(withTensor) + "WHERE p.name = ? AND v.number = ?")) {
      ps.setString(1, promptName);
      ps.setInt(2, number);
      return one(ps);
    }
  }

  /** The version the alias (prompt, environment) points at. */
  public Optional<Version> findByAlias(Connection c, String promptName, String environment, boolean withTensor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(select(withTensor)
        + "JOIN registry.aliases a ON a.version_id = v.id AND a.prompt_id = v.prompt_id "
        + "WHERE p.name = ? AND a.environment = ?")) {
      ps.setString(1, promptName);
      ps.setString(2, environment);
      return one(ps);
    }
  }

  /** A prompt's versions newest first, below {@code beforeNumber} (exclusive) when set. */
  public List<Version> listByPrompt(Connection c, long promptId, Integer beforeNumber, int limit,
      boolean withTensor) throws SQLException {
    String sql = select(withTensor) + "WHERE v.prompt_id = ?" + (beforeNumber == null ? "" : " AND v.number < ?")
        + " ORDER BY v.number DESC LIMIT ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setLong(i++, promptId);
      if (beforeNumber != null) {
        ps.setInt(i++, beforeNumber);
      }
      ps.setInt(i, limit);
      return many(ps);
    }
  }

  /** The versions with these ids (those that exist), without tensors, in no particular order. */
  public List<Version> findAll(Connection c, Collection<UUID> ids) throws SQLException {
    if (ids.isEmpty()) {
      return List.of();
    }
    try (PreparedStatement ps = c.prepareStatement(select(false) + "WHERE v.id = ANY (?)")) {
      Array array = c.createArrayOf("uuid", ids.toArray());
      ps.setArray(1, array);
      return many(ps);
    }
  }

  /** The tensor bytes of these versions, by id. */
  public Map<UUID, byte[]> tensorsOf(Connection c, Collection<UUID> ids) throws SQLException {
    Map<UUID, byte[]> out = new HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT id, tensor FROM registry.versions WHERE id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getObject(1, UUID.class), rs.getBytes(2));
        }
      }
    }
    return out;
  }

  private static Optional<Version> one(PreparedStatement ps) throws SQLException {
    List<Version> all = many(ps);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  private static List<Version> many(PreparedStatement ps) throws SQLException {
    List<Version> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(map(rs));
      }
    }
    return out;
  }

  private static Version map(ResultSet rs) throws SQLException {
    return new Version(rs.getObject("id", UUID.class), rs.getLong("prompt_id"), rs.getString("prompt_name"),
        rs.getInt("number"), rs.getInt("length"), rs.getInt("d_model"),
        "ENSEMBLE".equals(rs.getString("kind")) ? null : rs.getBytes("tensor"),
        rs.getString("sha256"), rs.getString("base_model_id"), rs.getString("base_model_fingerprint"),
        rs.getString("tokenizer_fingerprint"), InitMethod.valueOf(rs.getString("init_method")),
        rs.getString("training_job_id"), JsonColumns.readStrings(rs.getString("hyperparameters")),
        JsonColumns.readNumbers(rs.getString("metrics")), rs.getString("created_by"),
        rs.getObject("created_at", OffsetDateTime.class).toInstant(), List.of(),
        "ENSEMBLE".equals(rs.getString("kind"))
            ? new Ensemble(CombinationRule.valueOf(rs.getString("combination_rule")), List.of()) : null);
  }
}
