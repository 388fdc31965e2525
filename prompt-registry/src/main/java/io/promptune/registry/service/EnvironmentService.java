package io.promptune.registry.service;

import io.promptune.registry.domain.Alias;
import io.promptune.registry.domain.Environment;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.persistence.AliasRepository;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.EnvironmentRepository;
import io.promptune.registry.persistence.PromptRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/** The configured environments and the aliases of a prompt in them. */
@ApplicationScoped
public class EnvironmentService {

  @Inject
  Database db;

  @Inject
  EnvironmentRepository environments;

  @Inject
  PromptRepository prompts;

  @Inject
  AliasRepository aliases;

  public List<Environment> list() {
    return db.read(environments::listActive);
  }

  /** The prompt's aliases, in promotion order; environments it was never promoted to are left out. */
  public List<Alias> aliases(String promptName) {
    Names.requirePromptName(promptName, "prompt_name");
    return db.read(c -> {
      long promptId = prompts.findByName(c, promptName).orElseThrow(() -> Errors.promptNotFound(promptName)).id();
      return aliases.listForPrompt(c, promptId);
    });
  }

  /** The configured environment named {@code name}; NOT_FOUND listing the configured ones otherwise. */
  public Environment require(Connection c, String name, String field) throws SQLException {
    Names.requireEnvironmentName(name, field);
    List<Environment> all = environments.listActive(c);
    return all.stream().filter(e -> e.name().equals(name)).findFirst()
        .orElseThrow(() -> RegistryException.notFound("environment '" + name + "' is not configured; the "
            + "environments are " + all.stream().map(Environment::name).collect(Collectors.joining(", "))));
  }
}
