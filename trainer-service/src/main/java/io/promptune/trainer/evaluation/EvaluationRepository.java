package io.promptune.trainer.evaluation;

import com.google.protobuf.InvalidProtocolBufferException;
import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.JobEvent;
import io.promptune.common.db.Transactions;
import io.promptune.trainer.events.JobEventRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * trainer.evaluations: an evaluation job's spec, pinned version, progress and outcome. The job row itself (state,
 * lease, attempts) stays in trainer.jobs; every write here is fenced by that row's attempts and state, and goes in one
 * transaction with its event.
 */
@ApplicationScoped
public class EvaluationRepository implements EvaluationStore {

  private static final String COLUMNS = "job_id, spec, version_id, examples_total, examples_done, correct,"
      + " member_correct, outcome";

  /** The fence: the evaluation's job is RUNNING under the caller's attempt. */
  private static final String HELD = " FROM trainer.jobs j WHERE e.job_id = ? AND j.id = e.job_id AND j.attempts = ?"
      + " AND j.state = 'RUNNING'";

  @Inject
  DataSource db;

  @Inject
  JobEventRepository events;

  /** Inside the transaction that inserts the job row. */
  public void insert(Connection c, UUID jobId, EvaluationSpec spec) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO trainer.evaluations (job_id, spec) VALUES (?, ?)")) {
      ps.setObject(1, jobId);
      ps.setBytes(2, spec.toByteArray());
      ps.executeUpdate();
    }
  }

  @Override
  public Optional<EvaluationRecord> find(UUID jobId) {
    return Optional.ofNullable(findAll(java.util.List.of(jobId)).get(jobId));
  }

  /** The evaluations of these jobs (jobs without one are absent from the answer). */
  public Map<UUID, EvaluationRecord> findAll(Collection<UUID> jobIds) {
    Map<UUID, EvaluationRecord> out = new HashMap<>();
    if (jobIds.isEmpty()) {
      return out;
    }
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
          + " FROM trainer.evaluations WHERE job_id = ANY (?)")) {
        ps.setArray(1, c.createArrayOf("uuid", jobIds.toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            EvaluationRecord r = read(rs);
            out.put(r.jobId(), r);
          }
        }
      }
      return out;
    });
  }

  @Override
  public boolean pin(UUID jobId, int attempt, String versionId, long total, int members, JobEvent event) {
    return fenced("UPDATE trainer.evaluations e SET version_id = ?, examples_total = ?, member_correct = ?" + HELD,
        jobId, attempt, event, (c, ps) -> {
          ps.setString(1, versionId);
          ps.setLong(2, total);
          ps.setArray(3, c.createArrayOf("bigint", zeros(members)));
          return 4;
        });
  }

  @Override
  public boolean saveProgress(UUID jobId, int attempt, Progress p, JobEvent event) {
    return fenced("UPDATE trainer.evaluations e SET examples_done = ?, correct = ?, member_correct = ?" + HELD,
        jobId, attempt, event, (c, ps) -> {
          ps.setLong(1, p.done());
          ps.setLong(2, p.correct());
          ps.setArray(3, c.createArrayOf("bigint", boxed(p.memberCorrect())));
          return 4;
        });
  }

  @Override
  public boolean saveOutcome(UUID jobId, int attempt, EvaluationOutcome outcome) {
    return fenced("UPDATE trainer.evaluations e SET outcome = ?" + HELD, jobId, attempt, null, (c, ps) -> {
      ps.setBytes(1, outcome.toByteArray());
      return 2;
    });
  }

  @Override
  public boolean append(UUID jobId, int attempt, JobEvent event) {
    return Transactions.inTransaction(db, c -> events.append(c, jobId, event, attempt).isPresent());
  }

  private interface Binder {
    /** Binds the SET parameters and returns the index of the first fence parameter. */
    int bind(Connection c, PreparedStatement ps) throws SQLException;
  }

  private boolean fenced(String sql, UUID jobId, int attempt, JobEvent event, Binder binder) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = binder.bind(c, ps);
        ps.setObject(i, jobId);
        ps.setInt(i + 1, attempt);
        if (ps.executeUpdate() != 1) {
          return false;
        }
      }
      if (event != null) {
        events.append(c, jobId, event, attempt);
      }
      return true;
    });
  }

  private static Long[] zeros(int n) {
    Long[] z = new Long[n];
    java.util.Arrays.fill(z, 0L);
    return z;
  }

  private static Long[] boxed(long[] v) {
    Long[] out = new Long[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  private static EvaluationRecord read(ResultSet rs) throws SQLException {
    try {
      EvaluationSpec spec = EvaluationSpec.parseFrom(rs.getBytes("spec"));
      long t = rs.getLong("examples_total");
      Long total = rs.wasNull() ? null : t;
      Array arr = rs.getArray("member_correct");
      Object[] raw = (Object[]) arr.getArray();
      long[] members = new long[raw.length];
      for (int i = 0; i < raw.length; i++) {
        members[i] = ((Number) raw[i]).longValue();
      }
      byte[] o = rs.getBytes("outcome");
      return new EvaluationRecord(rs.getObject("job_id", UUID.class), spec, rs.getString("version_id"), total,
          new Progress(rs.getLong("examples_done"), rs.getLong("correct"), members),
          o == null ? null : EvaluationOutcome.parseFrom(o));
    } catch (InvalidProtocolBufferException e) {
      throw new SQLException("stored evaluation is corrupt", e);
    }
  }
}
