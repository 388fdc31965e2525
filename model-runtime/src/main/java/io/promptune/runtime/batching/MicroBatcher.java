package io.promptune.runtime.batching;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Merges concurrent jobs into micro-batches. One worker thread takes the first waiting job, waits up to
 * {@code window} for more (or until the token budget is full), then plans the batches: jobs are grouped by
 * {@link Job#groupKey()} (only compatible jobs share an engine call), sorted by length so that similar lengths are
 * padded together, and packed greedily while rows × longest length stays within {@code maxTokens}. Each batch is
 * one call of {@code runner}, which completes every job of it. If a merged batch fails, its jobs are retried one
 * by one so that a bad job fails alone.
 */
public final class MicroBatcher<T extends MicroBatcher.Job> implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(MicroBatcher.class);

  /** One caller's request. */
  public interface Job {
    /** Jobs with equal keys may share an engine call. */
    Object groupKey();

    /** Rows the job adds to an engine call (examples, candidates, beams). */
    int rows();

    /** Its longest row in tokens (encoder + decoder). */
    int length();

    /** Completes the job with an error. */
    void fail(Throwable error);
  }

  private final String name;
  private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
  private final Consumer<List<T>> runner;
  private final long windowNanos;
  private final long maxTokens;
  private final Thread worker;
  private final AtomicLong engineCalls = new AtomicLong();
  private final AtomicLong jobsRun = new AtomicLong();
  private volatile boolean closed;

  public MicroBatcher(String name, long windowNanos, long maxTokens, Consumer<List<T>> runner) {
    this.name = name;
    this.windowNanos = Math.max(0, windowNanos);
    this.maxTokens = Math.max(1, maxTokens);
    this.runner = runner;
    this.worker = Thread.ofPlatform().daemon().name("batcher-" + name).start(this::loop);
  }

  public void submit(T job) {
    if (closed) {
      job.fail(new IllegalStateException("the runtime is shutting down"));
      return;
    }
    queue.add(job);
  }

  /** Engine calls made so far. */
  public long engineCalls() {
    return engineCalls.get();
  }

  /** Jobs completed so far (jobs / engine calls = mean merge factor). */
  public long jobsRun() {
    return jobsRun.get();
  }

  private static long cost(Job j) {
    return (long) j.rows() * j.length();
  }

  private void loop() {
    while (!closed) {
      List<T> pending = new ArrayList<>();
      try {
        T first = queue.take();
        pending.add(first);
        long tokens = cost(first);
        long deadline = System.nanoTime() + windowNanos;
        while (tokens < maxTokens) {
          long left = deadline - System.nanoTime();
          T next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          pending.add(next);
          tokens += cost(next);
        }
      } catch (InterruptedException e) {
        pending.forEach(j -> j.fail(new IllegalStateException("the runtime is shutting down")));
        break;
      }
      for (List<T> batch : plan(pending, maxTokens)) {
        run(batch);
      }
    }
    for (T j; (j = queue.poll()) != null; ) {
      j.fail(new IllegalStateException("the runtime is shutting down"));
    }
  }

  private void run(List<T> batch) {
    try {
      engineCalls.incrementAndGet();
      runner.accept(batch);
      jobsRun.addAndGet(batch.size());
      LOG.debugf("%s: executed a batch of %d callers", name, batch.size());
    } catch (RuntimeException | Error e) {
      if (batch.size() == 1) {
        batch.get(0).fail(e);
        jobsRun.incrementAndGet();
        return;
      }
      LOG.debugf("%s: merged batch of %d failed (%s); running its jobs one by one", name, batch.size(), e);
      for (T j : batch) {
        run(List.of(j));
      }
    }
  }

  /** Groups by key (in order of first arrival), sorts each group by length, packs under the token budget. */
  static <T extends Job> List<List<T>> plan(List<T> jobs, long maxTokens) {
    Map<Object, List<T>> groups = new LinkedHashMap<>();
    for (T j : jobs) {
      groups.computeIfAbsent(j.groupKey(), k -> new ArrayList<>()).add(j);
    }
    List<List<T>> batches = new ArrayList<>();
    for (List<T> group : groups.values()) {
      group.sort(Comparator.comparingInt(Job::length));
      List<T> batch = new ArrayList<>();
      long rows = 0;
      for (T j : group) { // sorted ascending, so j.length() is the batch's longest
        if (!batch.isEmpty() && (rows + j.rows()) * (long) j.length() > maxTokens) {
          batches.add(batch);
          batch = new ArrayList<>();
          rows = 0;
        }
        batch.add(j);
        rows += j.rows();
      }
      batches.add(batch);
    }
    return batches;
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
