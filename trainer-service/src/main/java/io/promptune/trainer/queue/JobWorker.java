package io.promptune.trainer.queue;

import io.promptune.trainer.checkpoint.CheckpointRepository;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.config.TrainerConfig;
import io.promptune.trainer.dataset.DatasetRepository;
import io.promptune.trainer.evaluation.EvaluationRepository;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * This process's share of the queue: every poll interval it ends abandoned jobs that were cancelled or out of
 * attempts, then claims jobs while it has free slots and runs each on its own thread. At shutdown running jobs
 * stop at their next step boundary and release their leases, so another worker resumes them at once.
 */
@ApplicationScoped
public class JobWorker {

  private static final Logger LOG = Logger.getLogger(JobWorker.class);

  @Inject
  TrainerConfig config;

  @Inject
  JobRepository jobs;

  @Inject
  CheckpointRepository checkpoints;

  @Inject
  DatasetRepository datasets;

  @Inject
  RuntimeClient runtime;

  @Inject
  RegistryClient registry;

  @Inject
  EvaluationRepository evaluations;

  private final AtomicInteger running = new AtomicInteger();
  private volatile boolean stopping;
  private ExecutorService pool;
  private ScheduledExecutorService heartbeats;
  private String workerId;

  public synchronized String workerId() {
    if (workerId == null) {
      workerId = config.worker().id().filter(s -> !s.isBlank()).orElseGet(JobWorker::defaultId);
    }
    return workerId;
  }

  private static String defaultId() {
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("trainer");
    byte[] r = new byte[3];
    new SecureRandom().nextBytes(r);
    return host + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(r);
  }

  private synchronized void ensurePools() {
    if (pool == null) {
      pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "trainer-job");
        t.setDaemon(true);
        return t;
      });
      heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trainer-heartbeat");
        t.setDaemon(true);
        return t;
      });
    }
  }

  @Scheduled(every = "${promptune.trainer.worker.poll-interval}", delayed = "1s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void scheduledPoll() {
    if (config.worker().enabled()) {
      poll();
    }
  }

  /** One round: reap, then claim and start jobs up to the concurrency limit. Returns how many it started. */
  public int poll() {
    if (stopping) {
      return 0;
    }
    int started = 0;
    try {
      jobs.reap(config.maxAttempts());
      while (running.get() < config.worker().concurrency() && !stopping) {
        var claimed = jobs.claim(workerId(), config.leaseDuration(), config.maxAttempts());
        if (claimed.isEmpty()) {
          break;
        }
        start(claimed.get());
        started++;
      }
    } catch (RuntimeException e) {
      LOG.warnf("polling the job queue failed: %s", e.getMessage());
    }
    return started;
  }

  private void start(JobRow job) {
    ensurePools();
    running.incrementAndGet();
    JobRunner runner = new JobRunner(deps(), job, workerId(), () -> stopping);
    pool.execute(() -> {
      try {
        runner.run();
      } finally {
        running.decrementAndGet();
      }
    });
  }

  public JobRunner.Deps deps() {
    ensurePools();
    return new JobRunner.Deps(jobs, checkpoints, datasets, runtime, registry, config, heartbeats, evaluations);
  }

  public int running() {
    return running.get();
  }

  void onStop(@Observes ShutdownEvent event) {
    stopping = true;
    ExecutorService p;
    synchronized (this) {
      p = pool;
    }
    if (p == null) {
      return;
    }
    p.shutdown();
    try {
      if (!p.awaitTermination(config.worker().shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("jobs still running at the end of the shutdown grace period; their leases will expire");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    heartbeats.shutdownNow();
  }
}
