package io.promptune.registry.service;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.LineageRelation;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.Ensemble;
import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.NewEnsemble;
import io.promptune.registry.domain.Prompt;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.persistence.AuditRepository;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.EnsembleRepository;
import io.promptune.registry.persistence.LineageRepository;
import io.promptune.registry.persistence.PromptRepository;
import io.promptune.registry.persistence.VersionRepository;
import io.promptune.registry.security.Permissions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Ensemble versions (paper section 7): an ordered list of single-prompt versions of one base model and a
 * combination rule, numbered under a prompt like any version. The members are lineage parents of the ensemble
 * (relation ENSEMBLE_MEMBER_OF), so the member versions themselves never change.
 */
@ApplicationScoped
public class EnsembleService {

  public static final int MIN_MEMBERS = 2;
  public static final int MAX_MEMBERS = 32;
  /** GetVersion sends every member's tensor in one answer; this keeps that answer bounded. */
  public static final long MAX_MEMBER_TENSOR_BYTES = 64L << 20;

  @Inject
  Database db;

  @Inject
  PromptRepository prompts;

  @Inject
  VersionRepository versions;

  @Inject
  EnsembleRepository ensembles;

  @Inject
  LineageRepository lineage;

  @Inject
  AuditRepository audit;

  @Inject
  VersionLookup lookup;

  public Version create(CallerIdentity caller, NewEnsemble e) {
    Permissions.require(caller, Role.TRAINER, "creating an ensemble");
    Names.requirePromptName(e.promptName(), "prompt_name");
    PromptService.requireTask(e.task(), "task");
    VersionService.requireText(e.trainingJobId(), "training_job_id", false);
    if (e.members().size() < MIN_MEMBERS || e.members().size() > MAX_MEMBERS) {
      throw RegistryException.invalid("members", "an ensemble has " + MIN_MEMBERS + " to " + MAX_MEMBERS
          + " members; got " + e.members().size());
    }
    CombinationRule rule = switch (e.rule()) {
      case COMBINATION_RULE_UNSPECIFIED, MAJORITY_VOTE -> CombinationRule.MAJORITY_VOTE;
      case MEAN_LOG_PROB -> CombinationRule.MEAN_LOG_PROB;
      case UNRECOGNIZED -> throw RegistryException.invalid("rule", "rule must be MAJORITY_VOTE or MEAN_LOG_PROB");
    };
    e.metrics().forEach((k, value) -> {
      if (!Double.isFinite(value)) {
        throw RegistryException.invalid("metrics", "metrics['" + k + "'] is " + value + "; metrics must be finite");
      }
    });

    return db.inTransaction(c -> {
      List<AuditEvent> events = new ArrayList<>();
      if (e.createPromptIfMissing()
          && prompts.insertIfAbsent(c, e.promptName(), e.task(), "", caller.actor()).isPresent()) {
        events.add(AuditEvent.of(AuditAction.CREATE_PROMPT, caller.actor(), e.promptName(), null, null, null,
            "created by the first ensemble", false));
      }
      Prompt prompt = prompts.lockByName(c, e.promptName()).orElseThrow(() -> RegistryException.notFound(
          "prompt '" + e.promptName() + "' does not exist; create it first or set create_prompt_if_missing"));
      List<Version> members = checkedMembers(c, e);
      Version first = members.get(0);
      String tokenizer = members.stream().map(Version::tokenizerFingerprint).filter(t -> !t.isEmpty()).findFirst()
          .orElse("");
      String digest = Ensemble.digest(rule, members.stream().map(Version::sha256).toList());

      int number = prompt.latestVersion() + 1;
      UUID id = UUID.randomUUID();
      versions.insertEnsemble(c, id, prompt.id(), number, first.dModel(), digest, first.baseModelId(),
          first.baseModelFingerprint(), tokenizer, rule, e.trainingJobId(), e.hyperparameters(), e.metrics(),
          caller.actor());
      List<UUID> memberIds = members.stream().map(Version::id).toList();
      ensembles.insertMembers(c, id, memberIds);
      for (UUID member : memberIds) {
        lineage.insert(c, new LineageEdge(id, member, null, LineageRelation.ENSEMBLE_MEMBER_OF));
      }
      prompts.setLatestVersion(c, prompt.id(), number);
      Version created = lookup.withParents(c, versions.findById(c, id, false).orElseThrow());
      events.add(AuditEvent.of(AuditAction.CREATE_ENSEMBLE, caller.actor(), prompt.name(), null, null, id, "",
          false));
      // Last statement of the transaction (see AuditRepository.append).
      audit.append(c, events);
      return created;
    });
  }

  /** Resolves the members and checks them: distinct, single prompts, one base model and d_model, bounded. */
  private List<Version> checkedMembers(Connection c, NewEnsemble e) throws SQLException {
    List<Version> members = new ArrayList<>();
    Map<UUID, Integer> seen = new HashMap<>();
    long bytes = 0;
    for (int i = 0; i < e.members().size(); i++) {
      String field = "members[" + i + "]";
      Version v;
      try {
        v = lookup.resolve(c, e.members().get(i), false);
      } catch (RegistryException refused) {
        throw new RegistryException(refused.reason(), field + ": " + refused.getMessage(), Map.of("field",
            field));
      }
      if (v.isEnsemble()) {
        Version nested = lookup.withParents(c, v);
        String inner = nested.ensemble().members().stream().map(m -> m.promptName() + ":" + m.number())
            .collect(Collectors.joining(", "));
        throw new RegistryException(ErrorReason.ENSEMBLE_NOT_SUPPORTED, field + " is " + v.label()
            + ", itself an ensemble; ensembles cannot be nested. List its members (" + inner + ") instead",
            Map.of("field", field, "version_id", v.id().toString()));
      }
      Integer earlier = seen.putIfAbsent(v.id(), i);
      if (earlier != null) {
        throw RegistryException.invalid(field, field + " is " + v.label() + " again (members[" + earlier
            + "]); each member may appear once");
      }
      if (!members.isEmpty()) {
        Version first = members.get(0);
        if (!first.baseModelFingerprint().equals(v.baseModelFingerprint())) {
          throw new RegistryException(ErrorReason.MODEL_MISMATCH, "members must share one base model: " + field
              + " " + v.label() + " has base model " + v.baseModelId() + " (fingerprint "
              + v.baseModelFingerprint() + ") but members[0] " + first.label() + " has " + first.baseModelId()
              + " (fingerprint " + first.baseModelFingerprint() + ")", Map.of("field", field));
        }
        if (first.dModel() != v.dModel()) {
          throw new RegistryException(ErrorReason.MODEL_MISMATCH, "members must share one d_model: " + field + " "
              + v.label() + " has d_model " + v.dModel() + " but members[0] " + first.label() + " has "
              + first.dModel(), Map.of("field", field));
        }
      }
      bytes += v.tensorBytes();
      if (bytes > MAX_MEMBER_TENSOR_BYTES) {
        throw new RegistryException(ErrorReason.REQUEST_TOO_LARGE, "the members' tensors add up to more than "
            + (MAX_MEMBER_TENSOR_BYTES >> 20) + " MiB by " + field + "; GetVersion sends them in one answer",
            Map.of("field", field));
      }
      members.add(v);
    }
    return members;
  }
}
