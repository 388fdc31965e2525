package io.promptune.registry.persistence;

import io.promptune.registry.config.RegistryConfig;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.RegistryException;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.HashSet;
import java.util.List;
import org.jboss.logging.Logger;

/** Writes promptune.registry.environments into registry.environments when the service starts (after Flyway). */
@ApplicationScoped
public class EnvironmentSync {

  private static final Logger LOG = Logger.getLogger(EnvironmentSync.class);

  @Inject
  RegistryConfig config;

  @Inject
  Database db;

  @Inject
  EnvironmentRepository environments;

  void onStart(@Observes StartupEvent event) {
    List<String> names = validated(config.environments());
    db.inTransaction(c -> {
      environments.sync(c, names);
      return null;
    });
    LOG.infof("environments in promotion order: %s", String.join(" -> ", names));
  }

  /** The configured names, trimmed; IllegalStateException (the service does not start) when unusable. */
  public static List<String> validated(List<String> configured) {
    List<String> names = configured.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    if (names.isEmpty()) {
      throw new IllegalStateException("promptune.registry.environments is empty; name at least one environment");
    }
    if (new HashSet<>(names).size() != names.size()) {
      throw new IllegalStateException("promptune.registry.environments lists an environment twice: " + names);
    }
    for (String name : names) {
      try {
        Names.requireEnvironmentName(name, "promptune.registry.environments");
      } catch (RegistryException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    return names;
  }
}
