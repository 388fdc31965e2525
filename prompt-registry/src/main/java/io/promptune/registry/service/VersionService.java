package io.promptune.registry.service;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.LineageRelation;
import io.promptune.common.paging.PageTokens;
import io.promptune.registry.config.RegistryConfig;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.NewVersion;
import io.promptune.registry.domain.Page;
import io.promptune.registry.domain.Prompt;
import io.promptune.registry.domain.PromptTensor;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.persistence.AuditRepository;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.LineageRepository;
import io.promptune.registry.persistence.PromptRepository;
import io.promptune.registry.persistence.VersionRepository;
import io.promptune.registry.security.Permissions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Publishing, reading and listing immutable versions. */
@ApplicationScoped
public class VersionService {

  static final int MAX_TEXT_FIELD = 1024;
  static final long PAGE_TENSOR_BYTES = 32L << 20;

  @Inject
  Database db;

  @Inject
  RegistryConfig config;

  @Inject
  PromptRepository prompts;

  @Inject
  VersionRepository versions;

  @Inject
  LineageRepository lineage;

  @Inject
  AuditRepository audit;

  @Inject
  VersionLookup lookup;

  /**
   * Writes the next version of the prompt (number = latest + 1) with its lineage edges and an audit event
   * ({@code action}: PUBLISH_VERSION, or IMPORT_VERSION for PEFT imports), all in one transaction. The answer
   * carries no tensor bytes; its sha256 identifies them.
   */
  public Version publish(CallerIdentity caller, NewVersion v, AuditAction action) {
    return publish(caller, v, action, (c, id) -> {});
  }

  /** Rows that belong to a new version and are written in its transaction, right after it. */
  @FunctionalInterface
  public interface AlsoWrite {
    void write(java.sql.Connection c, UUID versionId) throws java.sql.SQLException;
  }

  /** {@link #publish(CallerIdentity, NewVersion, AuditAction)}, with {@code also} written in the same transaction. */
  public Version publish(CallerIdentity caller, NewVersion v, AuditAction action, AlsoWrite also) {
    Permissions.require(caller, Role.TRAINER, action == AuditAction.IMPORT_VERSION ? "importing a version"
        : "publishing a version");
    Names.requirePromptName(v.promptName(), "prompt_name");
    PromptTensor tensor = v.tensor().validate(limits(), "tensor");
    requireText(v.baseModelId(), "base_model_id", true);
    requireText(v.baseModelFingerprint(), "base_model_fingerprint", true);
    requireText(v.tokenizerFingerprint(), "tokenizer_fingerprint", false);
    requireText(v.trainingJobId(), "training_job_id", false);
    PromptService.requireTask(v.task(), "task");
    if (v.initMethod() == InitMethod.UNRECOGNIZED) {
      throw RegistryException.invalid("init_method", "init_method is not a value this registry knows");
    }
    v.metrics().forEach((k, value) -> {
      if (!Double.isFinite(value)) {
        throw RegistryException.invalid("metrics", "metrics['" + k + "'] is " + value + "; metrics must be finite");
      }
    });
    List<LineageEdge> parents = checkedParents(v.parents());
    String sha256 = tensor.sha256();

    return db.inTransaction(c -> {
      List<AuditEvent> events = new ArrayList<>();
      if (v.createPromptIfMissing()
          && prompts.insertIfAbsent(c, v.promptName(), v.task(), "", caller.actor()).isPresent()) {
        events.add(AuditEvent.of(AuditAction.CREATE_PROMPT, caller.actor(), v.promptName(), null, null, null,
            "created by the first publish", false));
      }
      // The lock makes latest_version + 1 safe: concurrent publishers of this prompt queue here.
      Prompt prompt = prompts.lockByName(c, v.promptName()).orElseThrow(() -> RegistryException.notFound(
          "prompt '" + v.promptName() + "' does not exist; create it first or set create_prompt_if_missing"));

      Set<UUID> parentIds = new LinkedHashSet<>();
      parents.stream().filter(e -> !e.isExternal()).forEach(e -> parentIds.add(e.parent()));
      Set<UUID> found = new HashSet<>();
      versions.findAll(c, parentIds).forEach(p -> found.add(p.id()));
      for (UUID id : parentIds) {
        if (!found.contains(id)) {
          throw RegistryException.notFound("lineage parent version " + id + " does not exist");
        }
      }

      int number = prompt.latestVersion() + 1;
      UUID id = UUID.randomUUID();
      Instant createdAt = versions.insert(c, id, prompt.id(), number, v, tensor, sha256, caller.actor());
      also.write(c, id);
      List<LineageEdge> edges = new ArrayList<>();
      for (LineageEdge e : parents) {
        LineageEdge edge = new LineageEdge(id, e.parent(), e.externalRef(), e.relation());
        lineage.insert(c, edge);
        edges.add(edge);
      }
      prompts.setLatestVersion(c, prompt.id(), number);
      events.add(AuditEvent.of(action, caller.actor(), prompt.name(), null, null, id, "", false));
      audit.append(c, events);

      return new Version(id, prompt.id(), prompt.name(), number, tensor.length(), tensor.dModel(), null, sha256,
          v.baseModelId(), v.baseModelFingerprint(), v.tokenizerFingerprint(), v.initMethod(), v.trainingJobId(),
          Map.copyOf(v.hyperparameters()), Map.copyOf(v.metrics()), caller.actor(), createdAt, List.copyOf(edges),
          null);
    });
  }

  public Version get(VersionRef ref, boolean withTensor) {
    return db.read(c -> {
      Version v = lookup.withParents(c, lookup.resolve(c, ref, withTensor));
      return withTensor ? lookup.withMemberTensors(c, v) : v;
    });
  }

  /**
   * A prompt's versions, newest first. With tensors, a page also stops before {@value #PAGE_TENSOR_BYTES} bytes
   * of tensor data (it always holds at least one version), so a listing never builds a gigabyte answer.
   */
  public Page<Version> list(String promptName, int pageSize, String pageToken, boolean withTensor) {
    Names.requirePromptName(promptName, "prompt_name");
    int size = PageTokens.size(pageSize);
    String scope = "versions|" + promptName;
    Long before = PageTokens.decodeLong(pageToken, scope);
    return db.read(c -> {
      Prompt prompt = prompts.findByName(c, promptName).orElseThrow(() -> Errors.promptNotFound(promptName));
      List<Version> rows = versions.listByPrompt(c, prompt.id(), before == null ? null : before.intValue(),
          size + 1, false);
      List<Version> page = new ArrayList<>();
      long tensorBytes = 0;
      for (Version v : rows.subList(0, Math.min(size, rows.size()))) {
        if (withTensor && !page.isEmpty() && tensorBytes + v.tensorBytes() > PAGE_TENSOR_BYTES) {
          break;
        }
        tensorBytes += v.tensorBytes();
        page.add(v);
      }
      if (withTensor) {
        Map<UUID, byte[]> data = versions.tensorsOf(c, page.stream().map(Version::id).toList());
        page.replaceAll(v -> v.withTensor(data.get(v.id())));
      }
      String next = page.size() < rows.size()
          ? PageTokens.encode(scope, Integer.toString(page.get(page.size() - 1).number())) : "";
      return new Page<>(lookup.withParents(c, page), next);
    });
  }

  public PromptTensor.Limits limits() {
    return new PromptTensor.Limits(config.maxPromptLength(), config.maxTensorBytes());
  }

  /** Each edge names exactly one parent and a relation; no edge twice. */
  static List<LineageEdge> checkedParents(List<LineageEdge> parents) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < parents.size(); i++) {
      LineageEdge e = parents.get(i);
      String field = "parents[" + i + "]";
      if (e.relation() == null || e.relation() == LineageRelation.LINEAGE_RELATION_UNSPECIFIED
          || e.relation() == LineageRelation.UNRECOGNIZED) {
        throw RegistryException.invalid(field + ".relation", field + ".relation is required (INITIALIZED_FROM, "
            + "TRANSFERRED_FROM, ENSEMBLE_MEMBER_OF or IMPORTED_FROM)");
      }
      boolean hasRef = e.externalRef() != null && !e.externalRef().isEmpty();
      if ((e.parent() == null) == !hasRef) {
        throw RegistryException.invalid(field, field + " must name exactly one of parent_version_id and "
            + "parent_external_ref");
      }
      if (hasRef && e.externalRef().length() > MAX_TEXT_FIELD) {
        throw RegistryException.invalid(field + ".parent_external_ref", field + ".parent_external_ref is longer "
            + "than " + MAX_TEXT_FIELD + " characters");
      }
      String key = e.relation() + "|" + (e.parent() != null ? e.parent() : "external:" + e.externalRef());
      if (!seen.add(key)) {
        throw RegistryException.invalid(field, field + " repeats an earlier edge (" + e.relation() + " "
            + (e.parent() != null ? e.parent() : e.externalRef()) + ")");
      }
    }
    return parents;
  }

  static void requireText(String value, String field, boolean required) {
    if (required && value.isBlank()) {
      throw RegistryException.invalid(field, field + " is required");
    }
    if (value.length() > MAX_TEXT_FIELD) {
      throw RegistryException.invalid(field, field + " is longer than " + MAX_TEXT_FIELD + " characters");
    }
  }
}
