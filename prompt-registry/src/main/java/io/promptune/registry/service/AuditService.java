package io.promptune.registry.service;

import io.promptune.common.paging.PageTokens;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.Page;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.persistence.AuditRepository;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.EnvironmentRepository;
import io.promptune.registry.persistence.PromptRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/** Reading the audit log, oldest first. */
@ApplicationScoped
public class AuditService {

  @Inject
  Database db;

  @Inject
  AuditRepository audit;

  @Inject
  PromptRepository prompts;

  @Inject
  EnvironmentRepository environments;

  /**
   * Filters may be empty (match all). A prompt filter must name a prompt; an environment filter an environment
   * that is, or once was, configured (the log outlives configuration).
   */
  public Page<AuditEvent> list(String promptName, String environment, int pageSize, String pageToken) {
    if (!promptName.isEmpty()) {
      Names.requirePromptName(promptName, "prompt_name");
    }
    if (!environment.isEmpty()) {
      Names.requireEnvironmentName(environment, "environment");
    }
    int size = PageTokens.size(pageSize);
    String scope = "audit|" + promptName + "|" + environment;
    Long after = PageTokens.decodeLong(pageToken, scope);
    List<AuditEvent> rows = db.read(c -> {
      if (!promptName.isEmpty() && prompts.findByName(c, promptName).isEmpty()) {
        throw Errors.promptNotFound(promptName);
      }
      if (!environment.isEmpty() && !environments.exists(c, environment)) {
        throw RegistryException.notFound("environment '" + environment + "' has never been configured");
      }
      return audit.list(c, promptName.isEmpty() ? null : promptName, environment.isEmpty() ? null : environment,
          after, size + 1);
    });
    if (rows.size() <= size) {
      return new Page<>(rows, "");
    }
    List<AuditEvent> page = List.copyOf(rows.subList(0, size));
    return new Page<>(page, PageTokens.encode(scope, Long.toString(page.get(size - 1).id())));
  }
}
