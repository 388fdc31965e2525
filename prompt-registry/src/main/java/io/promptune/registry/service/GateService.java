package io.promptune.registry.service;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.Evaluation;
import io.promptune.registry.domain.Gate;
import io.promptune.registry.domain.GateCheck;
import io.promptune.registry.domain.Names;
import io.promptune.registry.domain.Prompt;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.persistence.AuditRepository;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.EvaluationRepository;
import io.promptune.registry.persistence.GateRepository;
import io.promptune.registry.persistence.PromptRepository;
import io.promptune.registry.security.Permissions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Promotion gates: conditions on recorded evaluations that Promote checks for the target environment. Admins set
 * and delete them (audited); anyone may read them.
 */
@ApplicationScoped
public class GateService {

  static final int MAX_DESCRIPTION = 1024;

  /** A set or deleted gate and the audit event that recorded it. */
  public record Change(Gate gate, AuditEvent event) {}

  @Inject
  Database db;

  @Inject
  GateRepository gates;

  @Inject
  EvaluationRepository evaluations;

  @Inject
  PromptRepository prompts;

  @Inject
  AuditRepository audit;

  @Inject
  EnvironmentService environments;

  public Change set(CallerIdentity caller, Gate g, String reason) {
    Permissions.require(caller, Role.ADMIN, "setting a promotion gate");
    Names.requireEnvironmentName(g.environment(), "gate.environment");
    Names.requirePromptName(g.name(), "gate.name");
    if (!g.promptName().isEmpty()) {
      Names.requirePromptName(g.promptName(), "gate.prompt_name");
    }
    PromptService.requireTask(g.task(), "gate.task");
    Gate checked = new Gate(g.environment(), g.name(), g.promptName(), g.task(),
        EvaluationService.datasetId(g.datasetId(), "gate.dataset_id", true),
        EvaluationService.key(g.split(), "gate.split", true), EvaluationService.key(g.metric(), "gate.metric", true),
        g.threshold(), g.maxRegression(), g.lowerIsBetter(), g.description(), caller.actor(), null);
    if (checked.threshold() != null && !Double.isFinite(checked.threshold())) {
      throw RegistryException.invalid("gate.threshold", "gate.threshold must be finite, got " + checked.threshold());
    }
    Double maxRegression = checked.maxRegression();
    if (maxRegression != null && !(maxRegression >= 0 && Double.isFinite(maxRegression))) {
      throw RegistryException.invalid("gate.max_regression", "gate.max_regression must be a finite number >= 0, got "
          + checked.maxRegression());
    }
    if (checked.description().length() > MAX_DESCRIPTION) {
      throw RegistryException.invalid("gate.description", "gate.description is longer than " + MAX_DESCRIPTION
          + " characters");
    }
    return db.inTransaction(c -> {
      environments.require(c, checked.environment(), "gate.environment");
      Gate stored = gates.put(c, checked);
      AuditEvent event = audit.append(c, List.of(AuditEvent.of(AuditAction.SET_PROMOTION_GATE, caller.actor(),
          stored.promptName(), stored.environment(), null, null, reason, false).withGate(stored))).get(0);
      return new Change(stored, event);
    });
  }

  public Change delete(CallerIdentity caller, String environment, String name, String reason) {
    Permissions.require(caller, Role.ADMIN, "deleting a promotion gate");
    Names.requireEnvironmentName(environment, "environment");
    Names.requirePromptName(name, "name");
    return db.inTransaction(c -> {
      Gate gate = gates.lock(c, environment, name).orElseThrow(() -> RegistryException.notFound("environment '"
          + environment + "' has no promotion gate '" + name + "'"));
      gates.delete(c, environment, name);
      AuditEvent event = audit.append(c, List.of(AuditEvent.of(AuditAction.DELETE_PROMOTION_GATE, caller.actor(),
          gate.promptName(), environment, null, null, reason, false).withGate(gate))).get(0);
      return new Change(gate, event);
    });
  }

  /** Gates by environment order then name; empty filters match all; a prompt filter keeps the gates it meets. */
  public List<Gate> list(String environment, String promptName) {
    if (!environment.isEmpty()) {
      Names.requireEnvironmentName(environment, "environment");
    }
    if (!promptName.isEmpty()) {
      Names.requirePromptName(promptName, "prompt_name");
    }
    return db.read(c -> {
      List<Gate> all = gates.list(c, environment.isEmpty() ? null : environment);
      if (promptName.isEmpty()) {
        return all;
      }
      Prompt prompt = prompts.findByName(c, promptName).orElseThrow(() -> Errors.promptNotFound(promptName));
      return all.stream().filter(g -> g.appliesTo(prompt)).toList();
    });
  }

  /**
   * Checks the environment's gates that apply to the prompt against {@code candidate}'s latest evaluations and, for
   * max_regression, those of {@code current} (the version the environment holds, or null).
   */
  List<GateCheck> check(Connection c, Prompt prompt, String environment, UUID candidate, UUID current)
      throws SQLException {
    List<GateCheck> out = new ArrayList<>();
    for (Gate g : gates.list(c, environment)) {
      if (!g.appliesTo(prompt)) {
        continue;
      }
      Optional<Evaluation> found = evaluations.latest(c, candidate, g.datasetId(), g.split(), g.metric());
      Optional<Evaluation> now = current == null ? Optional.empty()
          : evaluations.latest(c, current, g.datasetId(), g.split(), g.metric());
      Double foundValue = found.map(Evaluation::value).orElse(null);
      Double currentValue = now.map(Evaluation::value).orElse(null);
      String failure = failure(g, foundValue, currentValue);
      out.add(new GateCheck(g.name(), g.datasetId(), g.split(), g.metric(), g.lowerIsBetter(), failure.isEmpty(),
          g.threshold(), g.maxRegression(), foundValue, currentValue, failure));
    }
    return out;
  }

  /** What is wrong, in words; "" when the gate passes. */
  private static String failure(Gate g, Double found, Double current) {
    if (found == null) {
      return "no evaluation of " + g.subject() + " is recorded for this version";
    }
    if (g.threshold() != null && (g.lowerIsBetter() ? found > g.threshold() : found < g.threshold())) {
      return g.metric() + " " + found + " is " + (g.lowerIsBetter() ? "above" : "below") + " the required "
          + g.threshold();
    }
    if (g.maxRegression() != null && current != null) {
      double worseBy = g.lowerIsBetter() ? found - current : current - found;
      // A small epsilon so that a regression of exactly max_regression, computed in binary, still passes.
      if (worseBy > g.maxRegression() + 1e-12) {
        return g.metric() + " " + found + " is worse than the current version's " + current + " by " + round(worseBy)
            + ", more than the allowed " + g.maxRegression();
      }
    }
    return "";
  }

  private static String round(double d) {
    return String.format(java.util.Locale.ROOT, "%.6g", d);
  }
}
