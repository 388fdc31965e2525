package io.promptune.runtime.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

  static final class J implements MicroBatcher.Job {
    final String key;
    final int rows;
    final int length;
    final CompletableFuture<Integer> done = new CompletableFuture<>();

    J(String key, int rows, int length) {
      this.key = key;
      this.rows = rows;
      this.length = length;
    }

    @Override
    public Object groupKey() {
      return key;
    }

    @Override
    public int rows() {
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

  @Test
  void concurrentJobsAreMergedAndABadJobFailsAlone() throws Exception {
    List<Integer> sizes = new ArrayList<>();
    try (MicroBatcher<J> batcher = new MicroBatcher<>("test", TimeUnit.MILLISECONDS.toNanos(200), 1 << 20, jobs -> {
      sizes.add(jobs.size());
      if (jobs.stream().anyMatch(j -> j.rows == 2)) { // the bad job
        throw new IllegalArgumentException("bad job");
      }
      jobs.forEach(j -> j.done.complete(j.rows));
    })) {
      J ok1 = new J("k", 1, 1);
      J bad = new J("k", 2, 1);
      J ok2 = new J("k", 3, 1);
      batcher.submit(ok1);
      batcher.submit(ok2);
      assertEquals(1, ok1.done.get(5, TimeUnit.SECONDS));
      assertEquals(3, ok2.done.get(5, TimeUnit.SECONDS));
      assertEquals(List.of(2), sizes, "both arrived within the window: one engine call");
      assertEquals(1, batcher.engineCalls());

      J ok3 = new J("k", 4, 1); // merged with the bad job; retried alone after the merged call fails
      batcher.submit(bad);
      batcher.submit(ok3);
      ExecutionException e = assertThrows(ExecutionException.class, () -> bad.done.get(5, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IllegalArgumentException);
      assertEquals(4, ok3.done.get(5, TimeUnit.SECONDS), "the good job of the failed batch succeeds alone");
      assertEquals(List.of(2, 2, 1, 1), sizes);
      J ok4 = new J("k", 5, 1);
      batcher.submit(ok4);
      assertEquals(5, ok4.done.get(5, TimeUnit.SECONDS), "the batcher keeps serving");
    }
  }
}
