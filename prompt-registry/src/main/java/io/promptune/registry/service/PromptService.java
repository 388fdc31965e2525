package io.promptune.registry.service;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.ErrorReason;
import io.promptune.common.paging.PageTokens;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.Page;
import io.promptune.registry.domain.Prompt;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.persistence.AuditRepository;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.PromptRepository;
import io.promptune.registry.security.Permissions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/** Creating, reading and listing prompts. */
@ApplicationScoped
public class PromptService {

  static final int MAX_TASK_LENGTH = 256;
  static final int MAX_DESCRIPTION_LENGTH = 8192;

  @Inject
  Database db;

  @Inject
  PromptRepository prompts;

  @Inject
  AuditRepository audit;

  public Prompt create(CallerIdentity caller, String name, String task, String description, String owner) {
    Permissions.require(caller, Role.TRAINER, "creating a prompt");
    Names.requirePromptName(name, "name");
    requireTask(task, "task");
    if (description.length() > MAX_DESCRIPTION_LENGTH) {
      throw RegistryException.invalid("description", "description is " + description.length()
          + " characters; at most " + MAX_DESCRIPTION_LENGTH + " are allowed");
    }
    String effectiveOwner = owner.isBlank() ? caller.actor() : owner.strip();
    if (!effectiveOwner.equals(caller.actor())) {
      // The owner is an identity claim like any other: only an admin may record somebody else.
      Permissions.require(caller, Role.ADMIN, "creating a prompt owned by somebody else ('" + effectiveOwner + "')");
    }
    return db.inTransaction(c -> {
      Prompt created = prompts.insertIfAbsent(c, name, task, description, effectiveOwner)
          .orElseThrow(() -> alreadyExists(name));
      audit.append(c, List.of(AuditEvent.of(AuditAction.CREATE_PROMPT, caller.actor(), name, null, null, null, "",
          false)));
      return created;
    });
  }

  public Prompt get(String name) {
    Names.requirePromptName(name, "name");
    return db.read(c -> prompts.findByName(c, name)).orElseThrow(() -> Errors.promptNotFound(name));
  }

  /** Prompts by name; {@code task} empty means every task. */
  public Page<Prompt> list(String task, int pageSize, String pageToken) {
    int size = PageTokens.size(pageSize);
    String scope = "prompts|" + task;
    String after = PageTokens.decode(pageToken, scope);
    List<Prompt> rows = db.read(c -> prompts.list(c, task.isEmpty() ? null : task, after, size + 1));
    if (rows.size() <= size) {
      return new Page<>(rows, "");
    }
    List<Prompt> page = rows.subList(0, size);
    return new Page<>(List.copyOf(page), PageTokens.encode(scope, page.get(size - 1).name()));
  }

  static void requireTask(String task, String field) {
    if (task.length() > MAX_TASK_LENGTH) {
      throw RegistryException.invalid(field, field + " is " + task.length() + " characters; at most "
          + MAX_TASK_LENGTH + " are allowed");
    }
  }

  private static RegistryException alreadyExists(String name) {
    return new RegistryException(ErrorReason.ALREADY_EXISTS, "prompt '" + name + "' already exists; publish a "
        + "new version of it, or pick another name", Map.of("prompt", name));
  }
}
