package io.promptune.trainer.api;

import io.promptune.testing.EmbeddedDatabaseResource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.StepEvent;
import io.promptune.trainer.checkpoint.CheckpointRepository;
import io.promptune.trainer.dataset.CanonicalDataset;
import io.promptune.trainer.dataset.DataRecord;
import io.promptune.trainer.dataset.DatasetRepository;
import io.promptune.trainer.dataset.DatasetRow;
import io.promptune.trainer.events.JobEventRepository;
import io.promptune.trainer.queue.JobRepository;
import io.promptune.trainer.queue.JobRow;
import io.promptune.trainer.queue.LeaseClock;
import io.promptune.trainer.testing.ManualLeaseClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queue on a real PostgreSQL: SKIP LOCKED claiming across threads, leases, fencing, cancel, reaping. Lease time
 * is a {@link ManualLeaseClock}: a lease expires when a test advances it, never by waiting.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestBackendsResource.class, restrictToAnnotatedClass = false)
class JobQueueTest {

  private static final Duration LEASE = Duration.ofSeconds(30);

  @Inject
  JobRepository jobs;

  @Inject
  JobEventRepository events;

  @Inject
  CheckpointRepository checkpoints;

  @Inject
  DatasetRepository datasets;

  @Inject
  DataSource db;

  private String datasetId;

  private final ManualLeaseClock clock = new ManualLeaseClock();

  /** Moves lease time just past the end of a lease taken (or renewed) with {@link #LEASE} before now. */
  private void expireLeases() {
    clock.advance(LEASE.plusSeconds(1));
  }

  @BeforeEach
  void setUp() throws Exception {
    QuarkusMock.installMockForType(clock, LeaseClock.class);
    TestClients.finishAllJobs(db);
    DataRecord r = new DataRecord(new TreeMap<>(Map.of("input", "queue test", "target", "x")));
    CanonicalDataset data = CanonicalDataset.of(List.of("input", "target"), List.of(r), null, -1);
    datasetId = data.id();
    if (datasets.findById(datasetId).isEmpty()) {
      datasets.insert(new DatasetRow(data.id(), "queue-test", "", io.promptune.api.v1.DatasetFormat.JSONL,
          data.fields(), 1, 0, "test", null), data);
    }
  }

  private JobRow submit() {
    return jobs.insert(UUID.randomUUID(), JobSpec.newBuilder().setMaxSteps(1).build(), datasetId, "alice");
  }

  @Test
  void concurrentWorkersClaimEachJobExactlyOnce() throws Exception {
    Set<UUID> submitted = new HashSet<>();
    for (int i = 0; i < 12; i++) {
      submitted.add(submit().id());
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<UUID>>> results = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        String worker = "w" + w;
        results.add(pool.submit((Callable<List<UUID>>) () -> {
          List<UUID> mine = new ArrayList<>();
          for (Optional<JobRow> j = jobs.claim(worker, LEASE, 5); j.isPresent(); j = jobs.claim(worker, LEASE, 5)) {
            mine.add(j.get().id());
            assertEquals(JobState.RUNNING, j.get().state());
            assertEquals(worker, j.get().worker());
          }
          return mine;
        }));
      }
      List<UUID> all = new ArrayList<>();
      for (Future<List<UUID>> f : results) {
        all.addAll(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(12, all.size(), "every job claimed once");
      assertEquals(submitted, new HashSet<>(all));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLockedRowIsSkippedNotWaitedFor() throws Exception {
    JobRow first = submit();
    JobRow second = submit();
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM trainer.jobs WHERE id = ? FOR UPDATE")) {
        ps.setObject(1, first.id());
        ps.executeQuery();
      }
      // Another transaction holds the oldest job: the claim takes the next one at once.
      long t0 = System.nanoTime();
      Optional<JobRow> got = Executors.newSingleThreadExecutor().submit(() -> jobs.claim("w", LEASE, 5))
          .get(10, TimeUnit.SECONDS);
      assertTrue((System.nanoTime() - t0) < 5_000_000_000L);
      assertEquals(second.id(), got.orElseThrow().id());
      c.rollback();
    }
    assertEquals(first.id(), jobs.claim("w", LEASE, 5).orElseThrow().id());
  }

  @Test
  void anExpiredLeaseMakesTheJobClaimableAndFencesTheOldHolder() throws Exception {
    JobRow job = submit();
    JobRow a = jobs.claim("dead-worker", LEASE, 5).orElseThrow();
    assertEquals(job.id(), a.id());
    assertEquals(1, a.attempts());
    assertTrue(jobs.heartbeat(a.id(), 1, LEASE).owned());
    assertTrue(jobs.claim("other", LEASE, 5).isEmpty(), "a live lease is not claimable");
    expireLeases();
    JobRow b = jobs.claim("new-worker", LEASE, 5).orElseThrow();
    assertEquals(job.id(), b.id());
    assertEquals(2, b.attempts());
    assertEquals("new-worker", b.worker());
    // The old holder wakes up: none of its writes land.
    assertFalse(jobs.heartbeat(a.id(), 1, LEASE).owned());
    assertFalse(jobs.recordStep(a.id(), 1, LEASE, StepEvent.newBuilder().setStep(9).setLoss(1).build()).owned());
    assertFalse(checkpoints.save(a.id(), 1, 9, new byte[] {1, 2, 3}, 2));
    assertFalse(jobs.finish(a.id(), 1, JobState.SUCCEEDED, "late", ""));
    assertTrue(jobs.recordStep(b.id(), 2, LEASE, StepEvent.newBuilder().setStep(1).setLoss(1).build()).owned());
    assertTrue(jobs.finish(b.id(), 2, JobState.SUCCEEDED, "done", ""));
    JobRow done = jobs.find(job.id()).orElseThrow();
    assertEquals(JobState.SUCCEEDED, done.state());
    assertEquals(1, done.step());
    List<JobEvent> ev = events.list(job.id(), 1, 100);
    List<String> reasons = ev.stream().filter(JobEvent::hasState).map(e -> e.getState().getReason()).toList();
    assertTrue(reasons.get(1).equals("claimed"), reasons.toString());
    assertTrue(reasons.get(2).startsWith("resumed after the lease of dead-worker expired"), reasons.toString());
    for (int i = 0; i < ev.size(); i++) {
      assertEquals(i + 1, ev.get(i).getSequence(), "gap-free sequences");
    }
  }

  @Test
  void releaseAtShutdownHandsTheJobOverAtOnce() {
    JobRow job = submit();
    JobRow a = jobs.claim("leaving", LEASE, 5).orElseThrow();
    assertTrue(jobs.release(a.id(), a.attempts(), "shutdown"));
    JobRow b = jobs.claim("staying", LEASE, 5).orElseThrow();
    assertEquals(job.id(), b.id());
    assertEquals(JobState.RUNNING, b.state());
  }

  @Test
  void cancel() throws Exception {
    JobRow queued = submit();
    assertEquals(JobRepository.CancelOutcome.CANCELLED, jobs.cancel(queued.id(), "no longer needed"));
    JobRow q = jobs.find(queued.id()).orElseThrow();
    assertEquals(JobState.CANCELLED, q.state());
    assertEquals("no longer needed", q.reason());
    assertTrue(jobs.claim("w", LEASE, 5).isEmpty());
    assertEquals(JobRepository.CancelOutcome.ALREADY_FINISHED, jobs.cancel(queued.id(), "again"));

    JobRow running = submit();
    JobRow held = jobs.claim("w", LEASE, 5).orElseThrow();
    assertEquals(running.id(), held.id());
    assertEquals(JobRepository.CancelOutcome.REQUESTED, jobs.cancel(running.id(), "stop it"));
    assertEquals(JobState.RUNNING, jobs.find(running.id()).orElseThrow().state());
    JobRepository.Control ctl = jobs.heartbeat(held.id(), held.attempts(), LEASE);
    assertTrue(ctl.owned() && ctl.cancelRequested());
    assertEquals("stop it", ctl.cancelReason());

    // A running job whose worker is gone is cancelled at once.
    JobRow orphan = submit();
    assertEquals(orphan.id(), jobs.claim("gone", LEASE, 5).orElseThrow().id());
    expireLeases();
    assertEquals(JobRepository.CancelOutcome.CANCELLED, jobs.cancel(orphan.id(), "cleanup"));
    assertEquals(JobState.CANCELLED, jobs.find(orphan.id()).orElseThrow().state());
  }

  @Test
  void reaperFailsJobsOutOfAttemptsAndFinishesAbandonedCancels() throws Exception {
    JobRow job = submit();
    for (int i = 0; i < 2; i++) {
      assertEquals(i + 1, jobs.claim("crashy", LEASE, 2).orElseThrow().attempts());
      assertEquals(0, jobs.reap(2), "a job whose lease runs is not reaped");
      expireLeases();
    }
    assertTrue(jobs.claim("w", LEASE, 2).isEmpty(), "out of attempts");
    assertEquals(1, jobs.reap(2));
    JobRow failed = jobs.find(job.id()).orElseThrow();
    assertEquals(JobState.FAILED, failed.state());
    assertTrue(failed.reason().contains("2 times"), failed.reason());

    JobRow c = submit();
    JobRow held = jobs.claim("w", LEASE, 5).orElseThrow();
    assertEquals(c.id(), held.id());
    try (Connection conn = db.getConnection(); PreparedStatement ps = conn.prepareStatement(
        "UPDATE trainer.jobs SET cancel_requested = true, cancel_reason = 'bye' WHERE id = ?")) {
      ps.setObject(1, c.id());
      ps.executeUpdate();
    }
    assertEquals(0, jobs.reap(5), "its worker may still notice the cancel itself");
    expireLeases();
    assertEquals(1, jobs.reap(5));
    assertEquals(JobState.CANCELLED, jobs.find(c.id()).orElseThrow().state());
  }

  @Test
  void finishedJobsStayFinished() throws Exception {
    JobRow job = submit();
    JobRow held = jobs.claim("w", LEASE, 5).orElseThrow();
    assertTrue(jobs.finish(held.id(), held.attempts(), JobState.FAILED, "NON_FINITE: x", "NON_FINITE"));
    try (Connection conn = db.getConnection(); PreparedStatement ps = conn.prepareStatement(
        "UPDATE trainer.jobs SET state = 'QUEUED', lease_until = NULL WHERE id = ?")) {
      ps.setObject(1, job.id());
      var e = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class, ps::executeUpdate);
      assertTrue(e.getMessage().contains("cannot become QUEUED"), e.getMessage());
    }
    assertNotEquals(JobState.QUEUED, jobs.find(job.id()).orElseThrow().state());
  }
}
