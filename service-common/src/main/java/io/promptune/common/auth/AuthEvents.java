package io.promptune.common.auth;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Authentication failures, counted by reason (the metrics layer exports these) and logged without the credential.
 */
@ApplicationScoped
public class AuthEvents {

  private static final Logger LOG = Logger.getLogger(AuthEvents.class);

  private final Map<Authenticator.Failure, AtomicLong> failures = new EnumMap<>(Authenticator.Failure.class);

  public AuthEvents() {
    for (Authenticator.Failure f : Authenticator.Failure.values()) {
      failures.put(f, new AtomicLong());
    }
  }

  public void failed(Authenticator.Failure failure) {
    failures.get(failure).incrementAndGet();
    LOG.debugf("authentication failed: %s", failure);
  }

  public long failures(Authenticator.Failure failure) {
    return failures.get(failure).get();
  }
}
