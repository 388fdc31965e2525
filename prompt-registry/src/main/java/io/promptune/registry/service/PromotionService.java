package io.promptune.registry.service;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.ErrorReason;
import io.promptune.registry.domain.Alias;
import io.promptune.registry.domain.AliasHistory;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.Environment;
import io.promptune.registry.domain.GateCheck;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.PromotionOutcome;
import io.promptune.registry.domain.Prompt;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.persistence.AliasRepository;
import io.promptune.registry.persistence.AuditRepository;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.EnvironmentRepository;
import io.promptune.registry.persistence.PromptRepository;
import io.promptune.registry.persistence.VersionRepository;
import io.promptune.registry.security.Permissions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Moves aliases. Each promotion or rollback is one transaction that locks the prompt row, checks, moves the alias
 * and appends the audit event; two callers on the same prompt therefore run one after the other and the second
 * sees the first's result (so an expected-current check can never pass on stale data).
 */
@ApplicationScoped
public class PromotionService {

  /** Which version to promote: an id or a number of the prompt. */
  public sealed interface Target {
    record ById(UUID id) implements Target {}

    record ByNumber(int number) implements Target {}
  }

  /**
   * What the caller believes the alias holds now: {@code Optional.empty()} skips the check, an empty id ("" on
   * the wire) means "nothing promoted there yet".
   */
  public record Expectation(Optional<String> versionId) {
    public static final Expectation NONE = new Expectation(Optional.empty());
  }

  @Inject
  Database db;

  @Inject
  PromptRepository prompts;

  @Inject
  VersionRepository versions;

  @Inject
  AliasRepository aliases;

  @Inject
  AuditRepository audit;

  @Inject
  EnvironmentRepository environmentRows;

  @Inject
  EnvironmentService environments;

  @Inject
  VersionLookup lookup;

  @Inject
  GateService gates;

  public PromotionOutcome promote(CallerIdentity caller, String promptName, String environment, Target target,
      Expectation expected, boolean force, String reason) {
    Permissions.require(caller, Role.OPERATOR, "promoting");
    if (force) {
      Permissions.require(caller, Role.ADMIN, "forcing a promotion");
    }
    Names.requirePromptName(promptName, "prompt_name");
    Names.requireEnvironmentName(environment, "environment");
    if (target == null) {
      throw RegistryException.invalid("target", "say which version to promote: version_id or version_number");
    }
    return db.inTransaction(c -> {
      Environment env = environments.require(c, environment, "environment");
      Prompt prompt = lock(c, promptName);
      Version version = resolveTarget(c, prompt, target);
      Optional<Alias> current = aliases.find(c, prompt.id(), environment);
      checkExpected(expected, current, promptName, environment);

      if (current.isPresent() && current.get().versionId().equals(version.id())) {
        // Already there: nothing changes and nothing is logged, and the answer says so. (It must not carry the
        // event that put the version there: that event is the answer of whoever made that move.)
        return PromotionOutcome.unchanged(current.get());
      }
      if (!force) {
        checkOrder(c, prompt, env, version);
        if (current.isPresent()) {
          checkCompatible(c, version, current.get());
        }
      }
      // Gates are checked even when forced: the audit event records what the override skipped.
      List<GateCheck> checks = gates.check(c, prompt, environment, version.id(),
          current.map(Alias::versionId).orElse(null));
      List<GateCheck> failed = checks.stream().filter(g -> !g.passed()).toList();
      if (!failed.isEmpty() && !force) {
        throw gateFailed(version, environment, current, failed);
      }
      return move(c, caller, AuditAction.PROMOTE, prompt, environment, current, version, reason, force, checks);
    });
  }

  /** Points the alias back at the version it held before its current one (see {@link AliasHistory}). */
  public PromotionOutcome rollback(CallerIdentity caller, String promptName, String environment,
      Expectation expected, String reason) {
    Permissions.require(caller, Role.OPERATOR, "rolling back");
    Names.requirePromptName(promptName, "prompt_name");
    Names.requireEnvironmentName(environment, "environment");
    return db.inTransaction(c -> {
      environments.require(c, environment, "environment");
      Prompt prompt = lock(c, promptName);
      Optional<Alias> current = aliases.find(c, prompt.id(), environment);
      checkExpected(expected, current, promptName, environment);
      if (current.isEmpty()) {
        throw new RegistryException(ErrorReason.NOTHING_TO_ROLL_BACK, "nothing was ever promoted to "
            + promptName + "@" + environment + ", so there is nothing to roll back");
      }
      UUID previous = AliasHistory.rollbackTarget(audit.aliasHistory(c, promptName, environment))
          .orElseThrow(() -> new RegistryException(ErrorReason.NOTHING_TO_ROLL_BACK, promptName + "@"
              + environment + " holds " + promptName + ":" + current.get().versionNumber()
              + " and no earlier version to go back to"));
      Version version = versions.findById(c, previous, false).orElseThrow();
      return move(c, caller, AuditAction.ROLLBACK, prompt, environment, current, version, reason, false, List.of());
    });
  }

  private PromotionOutcome move(Connection c, CallerIdentity caller, AuditAction action, Prompt prompt,
      String environment, Optional<Alias> current, Version version, String reason, boolean forced,
      List<GateCheck> gateChecks) throws SQLException {
    Instant updatedAt = aliases.put(c, prompt.id(), environment, version.id(), caller.actor());
    // Last statement of the transaction (see AuditRepository.append).
    AuditEvent event = audit.append(c, List.of(AuditEvent.of(action, caller.actor(), prompt.name(), environment,
        current.map(Alias::versionId).orElse(null), version.id(), reason, forced).withGateChecks(gateChecks)))
        .get(0);
    return PromotionOutcome.moved(new Alias(prompt.name(), environment, version.id(), version.number(), updatedAt,
        caller.actor()), event);
  }

  /** GATE_FAILED naming every failing gate with its numbers; the metadata carries the first one's. */
  private static RegistryException gateFailed(Version version, String environment, Optional<Alias> current,
      List<GateCheck> failed) {
    String holder = current.map(a -> environment + "'s " + a.promptName() + ":" + a.versionNumber())
        .orElse(environment + "'s current version");
    StringBuilder msg = new StringBuilder(version.label() + " cannot enter " + environment + ": ");
    for (int i = 0; i < failed.size(); i++) {
      GateCheck g = failed.get(i);
      msg.append(i == 0 ? "" : "; ").append("gate '").append(g.gateName()).append("' (").append(g.metric())
          .append(" on ").append(g.datasetId()).append('/').append(g.split()).append("): ").append(g.failure())
          .append(" [required ").append(g.threshold() == null ? "-" : (g.lowerIsBetter() ? "<= " : ">= ")
              + g.threshold())
          .append(", found ").append(g.found() == null ? "none" : g.found())
          .append(", ").append(holder).append(' ').append(g.current() == null ? "none" : g.current());
      if (g.maxRegression() != null) {
        msg.append(", max regression ").append(g.maxRegression());
      }
      msg.append(']');
    }
    msg.append(". Record an evaluation that meets the gate (RecordEvaluation), or have an admin force the "
        + "promotion");
    GateCheck first = failed.get(0);
    Map<String, String> meta = new java.util.LinkedHashMap<>();
    meta.put("gate", first.gateName());
    meta.put("failed_gates", String.join(",", failed.stream().map(GateCheck::gateName).toList()));
    meta.put("dataset_id", first.datasetId());
    meta.put("split", first.split());
    meta.put("metric", first.metric());
    meta.put("required", first.threshold() == null ? "" : Double.toString(first.threshold()));
    meta.put("found", first.found() == null ? "" : Double.toString(first.found()));
    meta.put("current", first.current() == null ? "" : Double.toString(first.current()));
    return new RegistryException(ErrorReason.GATE_FAILED, msg.toString(), meta);
  }

  private Prompt lock(Connection c, String promptName) throws SQLException {
    return prompts.lockByName(c, promptName).orElseThrow(() -> Errors.promptNotFound(promptName));
  }

  private Version resolveTarget(Connection c, Prompt prompt, Target target) throws SQLException {
    return switch (target) {
      case Target.ByNumber n -> lookup.resolve(c, new VersionRef.ByNumber(prompt.name(), n.number()), false);
      case Target.ById id -> {
        Version v = lookup.resolve(c, new VersionRef.ById(id.id()), false);
        if (v.promptId() != prompt.id()) {
          throw RegistryException.invalid("version_id", "version " + id.id() + " is " + v.label()
              + ", not a version of prompt '" + prompt.name() + "'");
        }
        yield v;
      }
    };
  }

  private static void checkExpected(Expectation expected, Optional<Alias> current, String promptName,
      String environment) {
    if (expected.versionId().isEmpty()) {
      return;
    }
    String want = expected.versionId().get().strip();
    String have = current.map(a -> a.versionId().toString()).orElse("");
    if (!want.equalsIgnoreCase(have)) {
      String now = current.map(a -> promptName + ":" + a.versionNumber() + " (" + a.versionId() + ")")
          .orElse("nothing");
      throw new RegistryException(ErrorReason.CONFLICT, promptName + "@" + environment + " holds " + now
          + ", not the expected " + (want.isEmpty() ? "nothing" : want) + "; someone else changed it — reload "
          + "and retry", Map.of("current_version_id", have));
    }
  }

  /** Environment k > 0 only takes the version environment k-1 holds now. */
  private void checkOrder(Connection c, Prompt prompt, Environment env, Version version) throws SQLException {
    if (env.position() == 0) {
      return;
    }
    Environment below = environmentRows.listActive(c).get(env.position() - 1);
    Optional<Alias> there = aliases.find(c, prompt.id(), below.name());
    if (there.isEmpty() || !there.get().versionId().equals(version.id())) {
      String holds = there.map(a -> "holds " + prompt.name() + ":" + a.versionNumber()).orElse("holds nothing");
      throw new RegistryException(ErrorReason.ENVIRONMENT_ORDER, version.label() + " cannot enter " + env.name()
          + ": it is not in " + below.name() + " (" + below.name() + " " + holds + "); promote it to "
          + below.name() + " first, or have an admin force it", Map.of("required_environment", below.name()));
    }
  }

  /** The new version must fit the model the environment runs now: same d_model and base-model fingerprint. */
  private void checkCompatible(Connection c, Version version, Alias current) throws SQLException {
    Version now = versions.findById(c, current.versionId(), false).orElseThrow();
    if (now.dModel() != version.dModel()) {
      throw new RegistryException(ErrorReason.MODEL_MISMATCH, version.label() + " has d_model " + version.dModel()
          + " but " + current.environment() + " runs " + now.label() + " with d_model " + now.dModel()
          + "; an admin can force the promotion");
    }
    if (!Objects.equals(now.baseModelFingerprint(), version.baseModelFingerprint())) {
      throw new RegistryException(ErrorReason.MODEL_MISMATCH, version.label() + " was trained on base model "
          + version.baseModelId() + " (fingerprint " + version.baseModelFingerprint() + ") but "
          + current.environment() + " runs " + now.label() + " on " + now.baseModelId() + " (fingerprint "
          + now.baseModelFingerprint() + "); an admin can force the promotion");
    }
  }
}
