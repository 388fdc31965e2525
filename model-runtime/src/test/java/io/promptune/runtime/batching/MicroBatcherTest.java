package io.promptune.runtime.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

  static final class J implements MicroBatcher.Job {
    final String key;
    final int rows;
    final int length;
    final CompletableFuture<Integer> done = new CompletableFuture<>();
    /** Counted down when the batcher's worker first looks at the job (it reads rows() when it takes it). */
    final CountDownLatch taken = new CountDownLatch(1);
    boolean bad;

    J(String key, int rows, int length) {
      this.key = key;
      this.rows = rows;
      this.length = length;
    }

    @Override
    public Object groupKey() {
      return key;
    }

    J bad() {
      bad = true;
      return this;
    }

    @Override
    public int rows() {
      taken.countDown();
      return rows;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public void fail(Throwable error) {
      done.completeExceptionally(error);
    }

    @Override
    public String toString() {
      return key + rows + "x" + length;
    }
  }

  @Test
  void planGroupsSortsAndRespectsTheBudget() {
    J a = new J("fb", 2, 50);
    J b = new J("fwd", 1, 10);
    J c = new J("fb", 2, 10);
    J d = new J("fb", 4, 40);
    J e = new J("fb", 1, 60);
    List<List<J>> plan = MicroBatcher.plan(new ArrayList<>(List.of(a, b, c, d, e)), 400);
    // fb sorted by length: c(2x10) d(4x40) a(2x50) e(1x60): c+d = 6x40 = 240 ok, +a = 8x50 = 400 ok, +e = 9x60 > 400
    assertEquals(List.of(List.of(c, d, a), List.of(e), List.of(b)), plan);
    J huge = new J("fb", 100, 100);
    assertEquals(List.of(List.of(huge)), MicroBatcher.plan(new ArrayList<>(List.of(huge)), 400),
        "a job over the budget still runs, alone");
  }

  /**
   * No timing: the window is a minute, far longer than the test, and each collection ends because the jobs fill
   * the token budget (4 rows × length 1) exactly, so it ends neither early nor late. The second job is submitted
   * only after the worker has taken the first (it reads its size then), i.e. while the window is open.
   */
  @Test
  void jobsArrivingWithinTheWindowAreMergedAndABadJobFailsAlone() throws Exception {
    List<Integer> sizes = java.util.Collections.synchronizedList(new ArrayList<>());
    try (MicroBatcher<J> batcher = new MicroBatcher<>("test", TimeUnit.MINUTES.toNanos(1), 4, jobs -> {
      sizes.add(jobs.size());
      if (jobs.stream().anyMatch(j -> j.bad)) {
        throw new IllegalArgumentException("bad job");
      }
      jobs.forEach(j -> j.done.complete(j.rows));
    })) {
      J ok1 = new J("k", 1, 1);
      J ok2 = new J("k", 3, 1);
      batcher.submit(ok1);
      ok1.taken.await();
      batcher.submit(ok2);
      assertEquals(1, ok1.done.get(30, TimeUnit.SECONDS));
      assertEquals(3, ok2.done.get(30, TimeUnit.SECONDS));
      assertEquals(List.of(2), sizes, "the second arrived within the window: one engine call");
      assertEquals(1, batcher.engineCalls());

      J bad = new J("k", 2, 1).bad();
      J ok3 = new J("k", 2, 1); // merged with the bad job; retried alone after the merged call fails
      batcher.submit(bad);
      bad.taken.await();
      batcher.submit(ok3);
      ExecutionException e = assertThrows(ExecutionException.class, () -> bad.done.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IllegalArgumentException);
      assertEquals(2, ok3.done.get(30, TimeUnit.SECONDS), "the good job of the failed batch succeeds alone");
      assertEquals(List.of(2, 2, 1, 1), sizes);
      assertEquals(4, batcher.engineCalls());

      J ok4 = new J("k", 4, 1); // fills the budget alone: runs without waiting for the window
      batcher.submit(ok4);
      assertEquals(4, ok4.done.get(30, TimeUnit.SECONDS), "the batcher keeps serving");
    }
  }

  /** A lone job below the budget runs once the window closes: it is not held for company. */
  @Test
  void aLoneJobRunsWhenTheWindowCloses() throws Exception {
    try (MicroBatcher<J> batcher = new MicroBatcher<>("test", TimeUnit.MILLISECONDS.toNanos(1), 1 << 20,
        jobs -> jobs.forEach(j -> j.done.complete(j.rows)))) {
      J one = new J("k", 1, 1);
      batcher.submit(one);
      assertEquals(1, one.done.get(30, TimeUnit.SECONDS));
      assertEquals(1, batcher.engineCalls());
    }
  }
}
