package io.promptune.trainer.events;

import com.google.protobuf.InvalidProtocolBufferException;
import io.promptune.api.v1.JobEvent;
import io.promptune.common.db.Transactions;
import io.promptune.trainer.db.Times;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * trainer.job_events. Sequences come from jobs.event_seq, incremented under the job row's lock in the same
 * transaction as the insert, so they are gap-free and commit in sequence order (a tailing reader never skips one).
 */
@ApplicationScoped
public class JobEventRepository {

  @Inject
  DataSource db;

  /**
   * Appends an event inside the caller's transaction.
   *
   * @param fenceAttempt when not null, only if the job is RUNNING under this attempt (the caller still holds it)
   * @return the sequence, or empty when the fence did not hold
   */
  public OptionalLong append(Connection c, UUID jobId, JobEvent event, Integer fenceAttempt) throws SQLException {
    String sql = "UPDATE trainer.jobs SET event_seq = event_seq + 1 WHERE id = ?"
        + (fenceAttempt == null ? "" : " AND attempts = ? AND state = 'RUNNING'") + " RETURNING event_seq";
    long seq;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, jobId);
      if (fenceAttempt != null) {
        ps.setInt(2, fenceAttempt);
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return OptionalLong.empty();
        }
        seq = rs.getLong(1);
      }
    }
    insert(c, jobId, seq, event);
    return OptionalLong.of(seq);
  }

  /** Inserts with a sequence the caller already took from jobs.event_seq. */
  public void insert(Connection c, UUID jobId, long seq, JobEvent event) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO trainer.job_events (job_id, sequence, kind, step, payload) VALUES (?, ?, ?, ?, ?)")) {
      ps.setObject(1, jobId);
      ps.setLong(2, seq);
      ps.setString(3, event.getKindCase().name());
      Integer step = switch (event.getKindCase()) {
        case STEP -> event.getStep().getStep();
        case EVAL -> event.getEval().getStep();
        case CHECKPOINT -> event.getCheckpoint().getStep();
        default -> null;
      };
      ps.setObject(4, step);
      ps.setBytes(5, event.toBuilder().clearJobId().clearSequence().clearTime().build().toByteArray());
      ps.executeUpdate();
    }
  }

  /** Events with sequence &gt;= {@code fromSequence}, oldest first. */
  public List<JobEvent> list(UUID jobId, long fromSequence, int limit) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT sequence, time, payload FROM trainer.job_events"
          + " WHERE job_id = ? AND sequence >= ? ORDER BY sequence LIMIT ?")) {
        ps.setObject(1, jobId);
        ps.setLong(2, fromSequence);
        ps.setInt(3, limit);
        List<JobEvent> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            try {
              out.add(JobEvent.parseFrom(rs.getBytes(3)).toBuilder()
                  .setJobId(jobId.toString())
                  .setSequence(rs.getLong(1))
                  .setTime(Times.proto(rs.getObject(2, OffsetDateTime.class)))
                  .build());
            } catch (InvalidProtocolBufferException e) {
              throw new IllegalStateException("stored event is corrupt", e);
            }
          }
        }
        return out;
      }
    });
  }
}
