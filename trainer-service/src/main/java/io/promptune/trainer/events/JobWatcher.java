package io.promptune.trainer.events;

import io.promptune.api.v1.JobEvent;
import io.promptune.trainer.config.TrainerConfig;
import io.promptune.trainer.queue.JobRepository;
import io.promptune.trainer.queue.JobRow;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * WatchJob: replays stored events from a sequence, then tails the table until the job has ended and every event
 * is sent. Tails the database rather than an in-process bus because the job may run in another trainer process.
 * Each watch runs on its own virtual thread.
 */
@ApplicationScoped
public class JobWatcher {

  private static final int PAGE = 500;

  @Inject
  JobEventRepository events;

  @Inject
  JobRepository jobs;

  @Inject
  TrainerConfig config;

  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  /** Where a watch sends what it reads; the gRPC layer adapts its stream to it. */
  public interface Sink {
    void event(JobEvent event);

    void completed();

    void failed(RuntimeException e);

    /** The caller went away: stop reading. */
    boolean cancelled();
  }

  /** Streams until the job ends, the call is cancelled, or an error (passed to {@code out.failed}). */
  public void watch(JobRow job, long fromSequence, Sink out) {
    threads.execute(() -> {
      try {
        long next = Math.max(1, fromSequence);
        while (!out.cancelled()) {
          // Read the state before the events: if it was terminal then, its final event is already stored.
          boolean ended = jobs.find(job.id()).map(JobRow::terminal).orElse(true);
          List<JobEvent> batch;
          do {
            batch = events.list(job.id(), next, PAGE);
            for (JobEvent e : batch) {
              out.event(e);
              next = e.getSequence() + 1;
            }
          } while (batch.size() == PAGE && !out.cancelled());
          if (ended) {
            out.completed();
            return;
          }
          Thread.sleep(config.watch().pollInterval().toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        if (!out.cancelled()) {
          out.failed(e);
        }
      }
    });
  }

  @PreDestroy
  void close() {
    threads.shutdownNow();
  }
}
