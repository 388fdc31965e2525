package io.promptune.trainer.queue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.PublishedEvent;
import io.promptune.api.v1.StateEvent;
import io.promptune.api.v1.StepEvent;
import io.promptune.common.db.Transactions;
import io.promptune.common.paging.PageTokens;
import io.promptune.trainer.db.Times;
import io.promptune.trainer.events.JobEventRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * trainer.jobs: the queue. Workers claim with {@code FOR UPDATE SKIP LOCKED} (so concurrent workers never block on
 * or double-claim a row) and hold a job under a lease measured on the database clock ({@link LeaseClock}: the
 * database's now(), which tests can move forward). Every write of a holder is
 * fenced by {@code attempts}, which each claim increments: a worker whose lease expired and was taken over can no
 * longer change the job. State changes append their StateEvent in the same transaction.
 */
@ApplicationScoped
public class JobRepository {

  private static final String COLUMNS = "id, spec, dataset_id, state, reason, reason_code, cancel_requested,"
      + " cancel_reason, step, last_loss, best_metric, best_step, published_version_id, submitted_by, worker,"
      + " lease_until, attempts, create_time, start_time, end_time, kind, published_member_version_ids";

  @Inject
  DataSource db;

  @Inject
  JobEventRepository events;

  @Inject
  LeaseClock clock;

  /** "Now" on the lease clock, in SQL; binds one parameter, {@link #offsetMillis()}. */
  private static final String LEASE_NOW = "(now() + ? * interval '1 millisecond')";

  /** Milliseconds the lease clock runs ahead of the database's now(): zero in production. */
  private long offsetMillis() {
    return clock.offset().toMillis();
  }

  /** When a lease taken or renewed now ends, as milliseconds after the database's now(). */
  private long leaseEndMillis(Duration lease) {
    return offsetMillis() + lease.toMillis();
  }

  /** What a holder learns when it writes: whether it still holds the job, and whether a cancel was asked. */
  public record Control(boolean owned, boolean cancelRequested, String cancelReason) {
    static final Control LOST = new Control(false, false, "");
  }

  public JobRow insert(UUID id, JobSpec spec, String datasetId, String submittedBy) {
    return insert(id, JobKind.JOB_KIND_TRAINING, spec, datasetId, submittedBy, c -> {});
  }

  /** Rows of other tables that belong to a new job, written in the transaction that inserts it. */
  public interface Companion {
    void insert(Connection c) throws SQLException;
  }

  /** A job of any kind (an evaluation job's spec is an empty JobSpec; its own row is the companion). */
  public JobRow insert(UUID id, JobKind kind, JobSpec spec, String datasetId, String submittedBy,
      Companion companion) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO trainer.jobs (id, spec, dataset_id, state,"
          + " submitted_by, kind) VALUES (?, ?, ?, 'QUEUED', ?, ?)")) {
        ps.setObject(1, id);
        ps.setBytes(2, spec.toByteArray());
        ps.setString(3, datasetId);
        ps.setString(4, submittedBy);
        ps.setString(5, kindName(kind));
        ps.executeUpdate();
      }
      companion.insert(c);
      events.append(c, id, stateEvent(JobState.QUEUED, "submitted by " + submittedBy, ""), null);
      return find(c, id).orElseThrow();
    });
  }

  public Optional<JobRow> find(UUID id) {
    return Transactions.inTransaction(db, c -> find(c, id));
  }

  private Optional<JobRow> find(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM trainer.jobs WHERE id = ?")) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  /** Newest first; {@code states} empty means all. */
  public List<JobRow> list(int limit, PageTokens.Keyset after, Collection<JobState> states) {
    return list(limit, after, states, List.of());
  }

  /** Newest first; {@code states} / {@code kinds} empty mean all. */
  public List<JobRow> list(int limit, PageTokens.Keyset after, Collection<JobState> states,
      Collection<JobKind> kinds) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM trainer.jobs WHERE true");
    if (after != null) {
      sql.append(" AND (create_time, id) < (?, ?)");
    }
    if (!states.isEmpty()) {
      sql.append(" AND state = ANY (?)");
    }
    if (!kinds.isEmpty()) {
      sql.append(" AND kind = ANY (?)");
    }
    sql.append(" ORDER BY create_time DESC, id DESC LIMIT ?");
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        int i = 1;
        if (after != null) {
          ps.setObject(i++, Times.fromMicros(after.position()));
          ps.setObject(i++, UUID.fromString(after.key()));
        }
        if (!states.isEmpty()) {
          ps.setArray(i++, c.createArrayOf("text", states.stream().map(Enum::name).sorted().toArray()));
        }
        if (!kinds.isEmpty()) {
          ps.setArray(i++, c.createArrayOf("text", kinds.stream().map(JobRepository::kindName).sorted().toArray()));
        }
        ps.setInt(i, limit);
        List<JobRow> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(read(rs));
          }
        }
        return out;
      }
    });
  }

  /**
   * Claims the oldest claimable job: QUEUED, or RUNNING with an expired lease (its worker died; it resumes from
   * its last checkpoint). Jobs asked to cancel or out of attempts are left to {@link #reap}.
   */
  public Optional<JobRow> claim(String worker, Duration lease, int maxAttempts) {
    return Transactions.inTransaction(db, c -> {
      UUID id;
      String previous;
      String previousWorker;
      try (PreparedStatement ps = c.prepareStatement("SELECT id, state, worker FROM trainer.jobs"
          + " WHERE (state = 'QUEUED' OR (state = 'RUNNING' AND lease_until < " + LEASE_NOW + "))"
          + " AND NOT cancel_requested AND attempts < ?"
          + " ORDER BY create_time, id LIMIT 1 FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, offsetMillis());
        ps.setInt(2, maxAttempts);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          id = rs.getObject(1, UUID.class);
          previous = rs.getString(2);
          previousWorker = rs.getString(3);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE trainer.jobs SET state = 'RUNNING', worker = ?,"
          + " lease_until = now() + ? * interval '1 millisecond', attempts = attempts + 1,"
          + " start_time = coalesce(start_time, now()), update_time = now() WHERE id = ?")) {
        ps.setString(1, worker);
        ps.setLong(2, leaseEndMillis(lease));
        ps.setObject(3, id);
        ps.executeUpdate();
      }
      JobRow row = find(c, id).orElseThrow();
      String why = "QUEUED".equals(previous) ? "claimed"
          : "resumed after the lease of " + previousWorker + " expired (attempt " + row.attempts() + ")";
      events.append(c, id, stateEvent(JobState.RUNNING, why, worker), null);
      return Optional.of(row);
    });
  }

  /** Renews the lease; tells the holder whether it still holds the job and whether a cancel was asked. */
  public Control heartbeat(UUID id, int attempt, Duration lease) {
    return Transactions.inTransaction(db, c -> renew(c, id, attempt, lease, null, null));
  }

  private Control renew(Connection c, UUID id, int attempt, Duration lease, Integer step, Float loss)
      throws SQLException {
    String sql = "UPDATE trainer.jobs SET lease_until = now() + ? * interval '1 millisecond', update_time = now()"
        + (step != null ? ", step = ?, last_loss = ?" : "")
        + " WHERE id = ? AND attempts = ? AND state = 'RUNNING' RETURNING cancel_requested, cancel_reason";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setLong(i++, leaseEndMillis(lease));
      if (step != null) {
        ps.setInt(i++, step);
        ps.setFloat(i++, loss);
      }
      ps.setObject(i++, id);
      ps.setInt(i, attempt);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Control(true, rs.getBoolean(1), rs.getString(2)) : Control.LOST;
      }
    }
  }

  /** After a step: progress, lease renewal and the StepEvent in one transaction. */
  public Control recordStep(UUID id, int attempt, Duration lease, StepEvent step) {
    return Transactions.inTransaction(db, c -> {
      Control ctl = renew(c, id, attempt, lease, step.getStep(), step.getLoss());
      if (ctl.owned()) {
        events.append(c, id, JobEvent.newBuilder().setStep(step).build(), attempt);
      }
      return ctl;
    });
  }

  /** After an evaluation: the EvalEvent, and the job's best metric when this evaluation is the new best. */
  public Control recordEval(UUID id, int attempt, Duration lease, EvalEvent eval) {
    return Transactions.inTransaction(db, c -> {
      Control ctl = renew(c, id, attempt, lease, null, null);
      if (ctl.owned()) {
        if (eval.getBest()) {
          try (PreparedStatement ps = c.prepareStatement(
              "UPDATE trainer.jobs SET best_metric = ?, best_step = ? WHERE id = ?")) {
            ps.setDouble(1, eval.getValue());
            ps.setInt(2, eval.getStep());
            ps.setObject(3, id);
            ps.executeUpdate();
          }
        }
        events.append(c, id, JobEvent.newBuilder().setEval(eval).build(), attempt);
      }
      return ctl;
    });
  }

  /** Any event of the holder (e.g. "resumed from step k"); false when it no longer holds the job. */
  public boolean appendOwned(UUID id, int attempt, JobEvent event) {
    return Transactions.inTransaction(db, c -> events.append(c, id, event, attempt).isPresent());
  }

  /** Records the published version (before the job is marked SUCCEEDED, so a crash in between is recoverable). */
  public boolean recordPublished(UUID id, int attempt, PublishedEvent published) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE trainer.jobs SET published_version_id = ?,"
          + " published_member_version_ids = ?, update_time = now() WHERE id = ? AND attempts = ?"
          + " AND state = 'RUNNING'")) {
        ps.setString(1, published.getVersionId());
        ps.setArray(2, c.createArrayOf("text", published.getMemberVersionIdsList().toArray()));
        ps.setObject(3, id);
        ps.setInt(4, attempt);
        if (ps.executeUpdate() != 1) {
          return false;
        }
      }
      events.append(c, id, JobEvent.newBuilder().setPublished(published).build(), attempt);
      return true;
    });
  }

  /** Ends a job the caller holds: SUCCEEDED, FAILED (with an ErrorReason name) or CANCELLED. */
  public boolean finish(UUID id, int attempt, JobState terminal, String reason, String reasonCode) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE trainer.jobs SET state = ?, reason = ?, reason_code = ?,"
          + " lease_until = NULL, end_time = now(), update_time = now()"
          + " WHERE id = ? AND attempts = ? AND state = 'RUNNING'")) {
        ps.setString(1, terminal.name());
        ps.setString(2, reason);
        ps.setString(3, reasonCode);
        ps.setObject(4, id);
        ps.setInt(5, attempt);
        if (ps.executeUpdate() != 1) {
          return false;
        }
      }
      events.append(c, id, stateEvent(terminal, reason, ""), null);
      return true;
    });
  }

  /** Gives a job back without finishing it (shutdown): still RUNNING, lease expired, so any worker resumes it. */
  public boolean release(UUID id, int attempt, String why) {
    return Transactions.inTransaction(db, c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE trainer.jobs SET lease_until = " + LEASE_NOW + ","
          + " update_time = now() WHERE id = ? AND attempts = ? AND state = 'RUNNING'")) {
        ps.setLong(1, offsetMillis());
        ps.setObject(2, id);
        ps.setInt(3, attempt);
        if (ps.executeUpdate() != 1) {
          return false;
        }
      }
      events.append(c, id, stateEvent(JobState.RUNNING, why, ""), null);
      return true;
    });
  }

  public enum CancelOutcome { CANCELLED, REQUESTED, ALREADY_FINISHED, NOT_FOUND }

  /**
   * Cancels a QUEUED job (or a RUNNING one whose worker is gone) at once; asks a live RUNNING one to stop, which
   * its loop notices before its next step.
   */
  public CancelOutcome cancel(UUID id, String reason) {
    return Transactions.inTransaction(db, c -> {
      String state;
      boolean expired;
      try (PreparedStatement ps = c.prepareStatement("SELECT state, lease_until < " + LEASE_NOW
          + " FROM trainer.jobs WHERE id = ? FOR UPDATE")) {
        ps.setLong(1, offsetMillis());
        ps.setObject(2, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return CancelOutcome.NOT_FOUND;
          }
          state = rs.getString(1);
          expired = rs.getBoolean(2);
        }
      }
      if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
        return CancelOutcome.ALREADY_FINISHED;
      }
      if (state.equals("QUEUED") || expired) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE trainer.jobs SET state = 'CANCELLED', reason = ?,"
            + " cancel_requested = true, cancel_reason = ?, lease_until = NULL, end_time = now(),"
            + " update_time = now() WHERE id = ?")) {
          ps.setString(1, reason);
          ps.setString(2, reason);
          ps.setObject(3, id);
          ps.executeUpdate();
        }
        events.append(c, id, stateEvent(JobState.CANCELLED, reason, ""), null);
        return CancelOutcome.CANCELLED;
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE trainer.jobs SET cancel_requested = true,"
          + " cancel_reason = ?, update_time = now() WHERE id = ?")) {
        ps.setString(1, reason);
        ps.setObject(2, id);
        ps.executeUpdate();
      }
      return CancelOutcome.REQUESTED;
    });
  }

  /**
   * Housekeeping of jobs whose worker is gone: cancels those that were asked to cancel, fails those that used up
   * their attempts. Returns how many it ended.
   */
  public int reap(int maxAttempts) {
    return Transactions.inTransaction(db, c -> {
      int ended = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT id, cancel_requested, cancel_reason, attempts"
          + " FROM trainer.jobs WHERE state = 'RUNNING' AND lease_until < " + LEASE_NOW
          + " AND (cancel_requested OR attempts >= ?) FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, offsetMillis());
        ps.setInt(2, maxAttempts);
        List<Object[]> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows.add(new Object[] {rs.getObject(1, UUID.class), rs.getBoolean(2), rs.getString(3), rs.getInt(4)});
          }
        }
        for (Object[] r : rows) {
          UUID id = (UUID) r[0];
          boolean cancel = (Boolean) r[1];
          JobState to = cancel ? JobState.CANCELLED : JobState.FAILED;
          String reason = cancel ? (String) r[2]
              : "INTERNAL: the job's worker stopped " + r[3] + " times without finishing it (max attempts "
                  + maxAttempts + ")";
          try (PreparedStatement up = c.prepareStatement("UPDATE trainer.jobs SET state = ?, reason = ?,"
              + " reason_code = ?, lease_until = NULL, end_time = now(), update_time = now() WHERE id = ?")) {
            up.setString(1, to.name());
            up.setString(2, reason);
            up.setString(3, cancel ? "" : "INTERNAL");
            up.setObject(4, id);
            up.executeUpdate();
          }
          events.append(c, id, stateEvent(to, reason, ""), null);
          ended++;
        }
      }
      return ended;
    });
  }

  static JobEvent stateEvent(JobState state, String reason, String worker) {
    return JobEvent.newBuilder()
        .setState(StateEvent.newBuilder().setState(state).setReason(reason).setWorker(worker)).build();
  }

  private static JobRow read(ResultSet rs) throws SQLException {
    JobSpec spec;
    try {
      spec = JobSpec.parseFrom(rs.getBytes("spec"));
    } catch (InvalidProtocolBufferException e) {
      throw new SQLException("stored job spec is corrupt", e);
    }
    float lastLoss = rs.getFloat("last_loss");
    Float loss = rs.wasNull() ? null : lastLoss;
    double best = rs.getDouble("best_metric");
    Double bestMetric = rs.wasNull() ? null : best;
    int bs = rs.getInt("best_step");
    Integer bestStep = rs.wasNull() ? null : bs;
    return new JobRow(rs.getObject("id", UUID.class), spec, rs.getString("dataset_id"),
        JobState.valueOf(rs.getString("state")), rs.getString("reason"), rs.getString("reason_code"),
        rs.getBoolean("cancel_requested"), rs.getString("cancel_reason"), rs.getInt("step"), loss, bestMetric,
        bestStep, rs.getString("published_version_id"), rs.getString("submitted_by"), rs.getString("worker"),
        rs.getObject("lease_until", OffsetDateTime.class), rs.getInt("attempts"),
        rs.getObject("create_time", OffsetDateTime.class), rs.getObject("start_time", OffsetDateTime.class),
        rs.getObject("end_time", OffsetDateTime.class),
        "EVALUATION".equals(rs.getString("kind")) ? JobKind.JOB_KIND_EVALUATION : JobKind.JOB_KIND_TRAINING,
        memberIds(rs.getArray("published_member_version_ids")));
  }

  private static List<String> memberIds(java.sql.Array array) throws SQLException {
    return array == null ? List.of() : List.of((String[]) array.getArray());
  }

  /** The kind column's value: TRAINING (also for JOB_KIND_UNSPECIFIED) or EVALUATION. */
  static String kindName(JobKind kind) {
    return kind == JobKind.JOB_KIND_EVALUATION ? "EVALUATION" : "TRAINING";
  }
}
