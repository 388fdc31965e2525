package io.promptune.runtime.observability;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * Graceful shutdown. SIGTERM (what Kubernetes and the launcher send) starts an orderly Quarkus exit with status 0
 * instead of the JVM's 143. Before anything is torn down the runtime drains: readiness turns DOWN, new RPCs are
 * refused with UNAVAILABLE, and RPCs already running (their batches included) finish, for at most
 * {@code promptune.shutdown.drain-timeout}. Only then does the model host close the engine.
 */
@ApplicationScoped
public class RuntimeDrain {

  private static final Logger LOG = Logger.getLogger(RuntimeDrain.class);

  @Inject
  RuntimeCallInterceptor calls;

  @Inject
  RuntimeMetrics metrics;

  @ConfigProperty(name = "promptune.shutdown.drain-timeout", defaultValue = "30s")
  Duration drainTimeout;

  @ConfigProperty(name = "promptune.shutdown.handle-sigterm", defaultValue = "true")
  boolean handleSigterm;

  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile boolean drained;

  void onStart(@Observes StartupEvent ev) {
    if (handleSigterm) {
      installSigtermHandler();
    }
  }

  /** SIGTERM: exit 0 through Quarkus' orderly shutdown (which calls {@link #drain()} first). */
  static void installSigtermHandler() {
    try {
      Signal.handle(new Signal("TERM"), s -> {
        LOG.info("SIGTERM: draining, then exiting");
        Quarkus.asyncExit(0);
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.debugf("cannot handle SIGTERM here: %s", e.getMessage());
    }
  }

  /** Fired at the very start of shutdown, before the gRPC server or the engine stop. */
  void onShutdownStarts(@Observes ShutdownDelayInitiatedEvent ev) {
    drain();
  }

  /** Fallback when the shutdown-delay phase did not run: still before the model host closes the engine. */
  void onShutdown(@Observes @Priority(1) ShutdownEvent ev) {
    drain();
  }

  public boolean draining() {
    return draining.get();
  }

  /** Refuses new RPCs and waits (bounded) for the running ones. Idempotent; true when everything finished. */
  public boolean drain() {
    if (!draining.compareAndSet(false, true)) {
      return drained;
    }
    metrics.draining(true);
    calls.refuseNewCalls();
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    int left = calls.inflight();
    LOG.infof("draining: refusing new calls, waiting up to %s for %d running", drainTimeout, left);
    while ((left = calls.inflight()) > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    drained = left == 0;
    if (drained) {
      LOG.info("drained: no call in flight");
    } else {
      LOG.warnf("drain timeout: %d calls still running are abandoned", left);
    }
    return drained;
  }
}
