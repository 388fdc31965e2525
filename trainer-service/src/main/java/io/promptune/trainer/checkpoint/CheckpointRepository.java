package io.promptune.trainer.checkpoint;

import io.promptune.api.v1.CheckpointEvent;
import io.promptune.api.v1.JobEvent;
import io.promptune.common.db.Transactions;
import io.promptune.trainer.events.JobEventRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** trainer.checkpoints: the newest few per job; writes are fenced by the job's attempt. */
@ApplicationScoped
public class CheckpointRepository {

  @Inject
  DataSource db;

  @Inject
  JobEventRepository events;

  public record Stored(int step, int attempt, byte[] data) {}

  /**
   * Stores a checkpoint (and its CheckpointEvent) if this attempt still holds the job, then keeps only the newest
   * {@code keep}. Returns false when the job is no longer ours.
   */
  public boolean save(UUID jobId, int attempt, int step, byte[] data, int keep) {
    return Transactions.inTransaction(db, c -> {
      // Lock the job row: the fence and the write are atomic with respect to a new claim.
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM trainer.jobs WHERE id = ? AND attempts = ?"
          + " AND state = 'RUNNING' FOR UPDATE")) {
        ps.setObject(1, jobId);
        ps.setInt(2, attempt);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO trainer.checkpoints (job_id, step, attempt, sha256,"
          + " data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id, step) DO UPDATE SET attempt = EXCLUDED.attempt,"
          + " sha256 = EXCLUDED.sha256, data = EXCLUDED.data, create_time = now()")) {
        ps.setObject(1, jobId);
        ps.setInt(2, step);
        ps.setInt(3, attempt);
        ps.setString(4, HexFormat.of().formatHex(CheckpointCodec.sha256(data, data.length)));
        ps.setBytes(5, data);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM trainer.checkpoints WHERE job_id = ? AND step NOT IN"
          + " (SELECT step FROM trainer.checkpoints WHERE job_id = ? ORDER BY step DESC LIMIT ?)")) {
        ps.setObject(1, jobId);
        ps.setObject(2, jobId);
        ps.setInt(3, Math.max(1, keep));
        ps.executeUpdate();
      }
      events.append(c, jobId, JobEvent.newBuilder()
          .setCheckpoint(CheckpointEvent.newBuilder().setStep(step)).build(), attempt);
      return true;
    });
  }

  /** The checkpoint with the highest step. */
  public Optional<Stored> latest(UUID jobId) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT step, attempt, data FROM trainer.checkpoints"
          + " WHERE job_id = ? ORDER BY step DESC LIMIT 1")) {
        ps.setObject(1, jobId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(new Stored(rs.getInt(1), rs.getInt(2), rs.getBytes(3))) : Optional.empty();
        }
      }
    });
  }

  public int count(UUID jobId) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM trainer.checkpoints WHERE job_id = ?")) {
        ps.setObject(1, jobId);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    });
  }
}
