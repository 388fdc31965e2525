package io.promptune.trainer.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.promptune.common.db.Transactions;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Jobs by state, read from trainer.jobs: {@code promptune_trainer_jobs{state}} and {@code promptune_trainer_queue_depth}
 * (QUEUED jobs: what autoscaling reads). Every trainer of a fleet reports the same numbers; aggregate with max().
 * One GROUP BY query serves all gauges and is repeated at most every {@code promptune.metrics.jobs-max-age}.
 */
@Startup
@ApplicationScoped
public class JobStateGauges {

  private static final Logger LOG = Logger.getLogger(JobStateGauges.class);

  public enum State { QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED }

  @Inject
  DataSource db;

  @Inject
  MeterRegistry registry;

  @ConfigProperty(name = "promptune.metrics.jobs-max-age", defaultValue = "2s")
  Duration maxAge;

  private volatile Map<State, Long> counts = new EnumMap<>(State.class);
  private volatile long readAt;

  @PostConstruct
  void register() {
    for (State s : State.values()) {
      Gauge.builder("promptune.trainer.jobs", this, g -> g.count(s))
          .description("Jobs in the queue database by state").tag("state", s.name()).register(registry);
    }
    Gauge.builder("promptune.trainer.queue.depth", this, g -> g.count(State.QUEUED))
        .description("Jobs waiting for a worker (QUEUED): the autoscaling signal").register(registry);
    TrainerMetrics.registerAtZero(registry);
  }

  double count(State s) {
    Long n = snapshot().get(s);
    return n == null ? 0 : n;
  }

  /** Current counts, read again when older than the max age. */
  public synchronized Map<State, Long> snapshot() {
    if (System.nanoTime() - readAt > maxAge.toNanos() || readAt == 0) {
      refresh();
    }
    return counts;
  }

  /** Reads the counts now. */
  public synchronized Map<State, Long> refresh() {
    try {
      counts = Transactions.inTransaction(db, c -> {
        Map<State, Long> m = new EnumMap<>(State.class);
        for (State s : State.values()) {
          m.put(s, 0L);
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT state, count(*) FROM trainer.jobs GROUP BY state");
            ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            m.put(State.valueOf(rs.getString(1)), rs.getLong(2));
          }
        }
        return m;
      });
      readAt = System.nanoTime();
    } catch (RuntimeException e) {
      LOG.debugf("reading job counts failed: %s", e.getMessage());
    }
    return counts;
  }
}
