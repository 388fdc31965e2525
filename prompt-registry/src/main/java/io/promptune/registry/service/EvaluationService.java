package io.promptune.registry.service;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ErrorReason;
import io.promptune.registry.domain.Evaluation;
import io.promptune.registry.domain.Page;
import io.promptune.common.paging.PageTokens;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.EvaluationRepository;
import io.promptune.registry.security.Permissions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Evaluation results kept against versions: append-only, read per version. */
@ApplicationScoped
public class EvaluationService {

  static final int MAX_DATASET_ID = 256;
  private static final Pattern KEY = Pattern.compile("[a-z0-9._-]{1,64}");

  /** What RecordEvaluation asks to store. */
  public record NewEvaluation(VersionRef version, String datasetId, String split, String metric, double value,
      long examples, String jobId) {}

  @Inject
  Database db;

  @Inject
  EvaluationRepository evaluations;

  @Inject
  VersionLookup lookup;

  /**
   * Appends a result against the version. With a job id the call is idempotent: the same job recording the same
   * (version, dataset, split, metric) again gets the stored record when the numbers agree, ALREADY_EXISTS when not.
   */
  public Evaluation record(CallerIdentity caller, NewEvaluation e) {
    Permissions.require(caller, Role.TRAINER, "recording an evaluation");
    String dataset = datasetId(e.datasetId(), "dataset_id", true);
    String split = key(e.split(), "split", true);
    String metric = key(e.metric(), "metric", true);
    if (!Double.isFinite(e.value())) {
      throw RegistryException.invalid("value", "value is " + e.value() + "; an evaluation must be finite");
    }
    if (e.examples() < 0) {
      throw RegistryException.invalid("examples", "examples must be 0 or more, got " + e.examples());
    }
    VersionService.requireText(e.jobId(), "job_id", false);
    return db.inTransaction(c -> {
      Version v = lookup.resolve(c, e.version(), false);
      Optional<Long> id = evaluations.insert(c, v.id(), dataset, split, metric, e.value(), e.examples(), e.jobId(),
          caller.actor());
      if (id.isPresent()) {
        return evaluations.findById(c, id.get()).orElseThrow();
      }
      Evaluation stored = evaluations.findByJob(c, v.id(), e.jobId(), dataset, split, metric).orElseThrow();
      if (Double.compare(stored.value(), e.value()) != 0 || stored.examples() != e.examples()) {
        throw new RegistryException(ErrorReason.ALREADY_EXISTS, "job " + e.jobId() + " already recorded " + metric
            + " on " + dataset + "/" + split + " for " + v.label() + ": " + stored.value() + " over "
            + stored.examples() + " examples (evaluation " + stored.id() + "), not " + e.value() + " over "
            + e.examples() + "; evaluations are append-only", Map.of("evaluation_id",
                Long.toString(stored.id())));
      }
      return stored;
    });
  }

  /** A version's evaluations, oldest first; empty filters match all. */
  public Page<Evaluation> list(VersionRef ref, String datasetId, String split, String metric, int pageSize,
      String pageToken) {
    String dataset = datasetId(datasetId, "dataset_id", false);
    String s = key(split, "split", false);
    String m = key(metric, "metric", false);
    int size = PageTokens.size(pageSize);
    return db.read(c -> {
      Version v = lookup.resolve(c, ref, false);
      String scope = "evaluations|" + v.id() + "|" + dataset + "|" + s + "|" + m;
      Long after = PageTokens.decodeLong(pageToken, scope);
      List<Evaluation> rows = evaluations.list(c, v.id(), dataset.isEmpty() ? null : dataset,
          s.isEmpty() ? null : s, m.isEmpty() ? null : m, after, size + 1);
      if (rows.size() <= size) {
        return new Page<>(rows, "");
      }
      List<Evaluation> page = List.copyOf(rows.subList(0, size));
      return new Page<>(page, PageTokens.encode(scope, Long.toString(page.get(size - 1).id())));
    });
  }

  static String datasetId(String value, String field, boolean required) {
    String v = value.strip();
    if (required && v.isEmpty()) {
      throw RegistryException.invalid(field, field + " is required (the trainer's dataset id)");
    }
    if (v.length() > MAX_DATASET_ID) {
      throw RegistryException.invalid(field, field + " is longer than " + MAX_DATASET_ID + " characters");
    }
    return v;
  }

  /** Split and metric names: lower-cased, 1-64 of [a-z0-9._-]. */
  static String key(String value, String field, boolean required) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    if (v.isEmpty() && !required) {
      return v;
    }
    if (!KEY.matcher(v).matches()) {
      throw RegistryException.invalid(field, field + " '" + value + "' must be 1-64 of a-z, 0-9, '.', '_' or '-' "
          + "(e.g. \"validation\", \"accuracy\")");
    }
    return v;
  }
}
