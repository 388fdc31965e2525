package io.promptune.common.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * This process's own service key, read from {@code promptune.auth.service-key-file} and reread when the file
 * changes (a rotated Secret). Absent means outgoing calls carry no key, and the callee will refuse them with a
 * message saying so.
 */
public final class ServiceKey {

  private static final Logger LOG = Logger.getLogger(ServiceKey.class);
  private static final long RECHECK_NANOS = 2_000_000_000L;

  private final Path file;
  private volatile String key;
  private volatile String stamp = "";
  private volatile long checkedAt = Long.MIN_VALUE / 2;

  public ServiceKey(Path file) {
    this.file = file;
  }

  private ServiceKey(String fixed) {
    this.file = null;
    this.key = fixed;
  }

  public static ServiceKey none() {
    return new ServiceKey((Path) null);
  }

  /** A key given directly (promptune.auth.service-key), e.g. from an environment variable. */
  public static ServiceKey of(String key) {
    return new ServiceKey(key);
  }

  public synchronized Optional<String> get() {
    if (file == null) {
      return Optional.ofNullable(key).filter(k -> !k.isEmpty());
    }
    if (System.nanoTime() - checkedAt > RECHECK_NANOS) {
      checkedAt = System.nanoTime();
      try {
        String s = Files.getLastModifiedTime(file).toMillis() + "/" + Files.size(file);
        if (!s.equals(stamp)) {
          key = Files.readString(file).strip();
          stamp = s;
        }
      } catch (IOException e) {
        if (key != null || stamp.isEmpty()) {
          LOG.warnf("service key file %s unreadable (%s): calls to other services will carry no key", file,
              e.getMessage());
        }
        key = null;
        stamp = "absent";
      }
    }
    return Optional.ofNullable(key).filter(k -> !k.isEmpty());
  }
}
