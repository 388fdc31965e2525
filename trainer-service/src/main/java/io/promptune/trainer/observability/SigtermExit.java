package io.promptune.trainer.observability;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * SIGTERM (Kubernetes, the launcher) runs Quarkus' orderly shutdown and exits 0 rather than the JVM's 143: running
 * jobs stop at their next step boundary, checkpoint, and release their leases within
 * {@code promptune.trainer.worker.shutdown-grace} (JobWorker).
 */
@ApplicationScoped
public class SigtermExit {

  private static final Logger LOG = Logger.getLogger(SigtermExit.class);

  @ConfigProperty(name = "promptune.shutdown.handle-sigterm", defaultValue = "true")
  boolean handleSigterm;

  void onStart(@Observes StartupEvent ev) {
    if (!handleSigterm) {
      return;
    }
    try {
      Signal.handle(new Signal("TERM"), s -> {
        LOG.info("SIGTERM: stopping jobs at their next step, checkpointing, releasing leases, then exiting");
        Quarkus.asyncExit(0);
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.debugf("cannot handle SIGTERM here: %s", e.getMessage());
    }
  }
}
