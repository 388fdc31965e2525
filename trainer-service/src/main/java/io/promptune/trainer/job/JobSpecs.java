package io.promptune.trainer.job;

import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.ConstantSchedule;
import io.promptune.api.v1.EarlyStopping;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RandomUniformInit;
import io.promptune.api.v1.SampledVocabInit;
import io.promptune.api.v1.Schedule;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.VersionInit;
import io.promptune.api.v1.VersionSelector;
import io.promptune.common.errors.ServiceException;
import io.promptune.trainer.format.ResolvedFormat;
import io.promptune.trainer.format.TaskFormats;
import io.promptune.trainer.init.PromptInitializer;
import io.promptune.trainer.optim.Optimizers;
import io.promptune.trainer.schedule.LrSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Validates a submitted JobSpec and fills in every default, so the stored spec says exactly what runs (and a
 * change of defaults never changes a queued job). Registry references are pinned to a version id.
 */
public final class JobSpecs {

  public static final int DEFAULT_PROMPT_LENGTH = 100;
  public static final int DEFAULT_BATCH_SIZE = 32;
  public static final int DEFAULT_EVAL_INTERVAL = 100;
  public static final int MAX_BATCH_SIZE = 4096;
  public static final int MAX_ENSEMBLE_SIZE = 32;

  private static final Pattern PROMPT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private JobSpecs() {}

  /**
   * @param datasetFields   the fields of the job's dataset
   * @param hasValidation   whether the dataset has a validation split
   * @param resolveVersion  registry lookup for FROM_VERSION init (metadata only)
   */
  public static JobSpec normalize(JobSpec spec, UUID jobId, String datasetId, List<String> datasetFields,
      boolean hasValidation, ModelInfo model, Function<VersionSelector, PromptVersion> resolveVersion) {
    JobSpec.Builder b = spec.toBuilder();

    if (spec.getBaseModelFingerprint().isEmpty()) {
      b.setBaseModelFingerprint(model.getFingerprint());
    } else if (!spec.getBaseModelFingerprint().equals(model.getFingerprint())) {
      throw new ServiceException(ErrorReason.MODEL_MISMATCH,
          "base_model_fingerprint " + spec.getBaseModelFingerprint() + " does not match the runtime's model "
              + model.getModelId() + " (" + model.getFingerprint() + ")",
          Map.of("expected", spec.getBaseModelFingerprint(), "runtime", model.getFingerprint()));
    }
    b.setDataset(datasetId);

    ResolvedFormat format;
    try {
      format = TaskFormats.resolve(spec.getTaskFormat());
    } catch (IllegalArgumentException e) {
      throw invalid("task_format", e.getMessage());
    }
    List<String> missing = new ArrayList<>();
    for (String f : format.requiredFields()) {
      if (!datasetFields.contains(f)) {
        missing.add(f);
      }
    }
    if (!missing.isEmpty()) {
      throw invalid("task_format", "task format \"" + format.name() + "\" reads fields " + missing
          + " that the dataset does not have (it has " + datasetFields + "); map columns at upload or change the"
          + " templates");
    }
    b.setTaskFormat(format.toProto());

    // Init first: from_version decides the default length.
    Init normalized = normalizeInit(spec.hasInit() ? spec.getInit() : defaultInit(format), "init", format, model,
        resolveVersion);
    PromptInit init = normalized.init();
    PromptVersion source = normalized.source();
    b.setInit(init);

    int length = spec.getPromptLength();
    if (length < 0) {
      throw invalid("prompt_length", "prompt_length must be >= 0 (0 means 100)");
    }
    if (length == 0) {
      length = source != null && source.getLength() > 0 ? source.getLength() : DEFAULT_PROMPT_LENGTH;
    }
    if (model.getMaxPromptLength() > 0 && length > model.getMaxPromptLength()) {
      throw invalid("prompt_length", "prompt_length " + length + " is over the runtime's limit of "
          + model.getMaxPromptLength());
    }
    b.setPromptLength(length);

    var optimizer = Optimizers.withDefaults(spec.getOptimizer());
    String optError = Optimizers.validate(optimizer);
    if (optError != null) {
      throw invalid("optimizer", optError);
    }
    b.setOptimizer(optimizer);

    if (spec.getMaxSteps() <= 0) {
      throw invalid("max_steps", "max_steps is required and must be > 0");
    }
    Schedule schedule = spec.hasSchedule() && spec.getSchedule().getKindCase() != Schedule.KindCase.KIND_NOT_SET
        ? spec.getSchedule() : Schedule.newBuilder().setConstant(ConstantSchedule.getDefaultInstance()).build();
    String scheduleError = LrSchedule.validate(schedule, spec.getMaxSteps());
    if (scheduleError != null) {
      throw invalid("schedule", scheduleError);
    }
    b.setSchedule(schedule);

    int batch = spec.getBatchSize() == 0 ? DEFAULT_BATCH_SIZE : spec.getBatchSize();
    if (batch < 0 || batch > MAX_BATCH_SIZE) {
      throw invalid("batch_size", "batch_size must be between 1 and " + MAX_BATCH_SIZE + " (0 means 32)");
    }
    b.setBatchSize(batch);

    if (spec.getEvalInterval() < 0) {
      throw invalid("eval_interval", "eval_interval must be >= 0 (0 means 100)");
    }
    int evalInterval = spec.getEvalInterval() == 0 ? DEFAULT_EVAL_INTERVAL : spec.getEvalInterval();
    b.setEvalInterval(evalInterval);
    try {
      b.setEvalMode(JobPlan.resolveEvalMode(spec.getEvalMode(), format));
    } catch (IllegalArgumentException e) {
      throw invalid("eval_mode", e.getMessage());
    }
    normalizeEnsemble(spec, b, b.getEvalMode(), format, model, resolveVersion);
    if (spec.getMaxEvalExamples() < 0) {
      throw invalid("max_eval_examples", "max_eval_examples must be >= 0 (0 means all)");
    }
    EarlyStopping es = spec.getEarlyStopping();
    if (es.getPatience() < 0 || !(es.getMinDelta() >= 0) || !Float.isFinite(es.getMinDelta())) {
      throw invalid("early_stopping", "patience and min_delta must be >= 0");
    }
    if (es.getPatience() > 0 && !hasValidation) {
      throw invalid("early_stopping", "early stopping needs a dataset with a validation split");
    }
    b.setEarlyStopping(es);
    if (spec.getCheckpointInterval() < 0) {
      throw invalid("checkpoint_interval", "checkpoint_interval must be >= 0 (0 means every eval)");
    }
    b.setCheckpointInterval(spec.getCheckpointInterval() == 0 ? evalInterval : spec.getCheckpointInterval());

    String output = spec.getOutputPrompt().isEmpty() ? "job-" + jobId : spec.getOutputPrompt();
    if (!PROMPT_NAME.matcher(output).matches()) {
      throw invalid("output_prompt", "output_prompt must be 1-128 of [A-Za-z0-9._-] starting with a letter or digit");
    }
    b.setOutputPrompt(output);
    if (spec.getTask().isEmpty()) {
      b.setTask(format.name());
    }
    if (spec.getTruncation() == Truncation.TRUNCATION_UNSPECIFIED) {
      b.setTruncation(Truncation.REJECT);
    }
    return b.build();
  }

  private record Init(PromptInit init, PromptVersion source) {}

  /** Fills in an init's defaults and pins a from_version selector to the id it means now. */
  private static Init normalizeInit(PromptInit init, String field, ResolvedFormat format, ModelInfo model,
      Function<VersionSelector, PromptVersion> resolveVersion) {
    PromptVersion source = null;
    switch (init.getMethodCase()) {
      case RANDOM_UNIFORM -> {
        float r = init.getRandomUniform().getRange();
        if (!(r >= 0) || !Float.isFinite(r)) {
          throw invalid(field + ".random_uniform.range", "range must be >= 0 (0 means 0.5)");
        }
        init = PromptInit.newBuilder().setRandomUniform(RandomUniformInit.newBuilder()
            .setRange(r == 0 ? PromptInitializer.DEFAULT_RANGE : r)).build();
      }
      case SAMPLED_VOCAB -> {
        int k = init.getSampledVocab().getTopK();
        if (k < 0) {
          throw invalid(field + ".sampled_vocab.top_k", "top_k must be >= 0 (0 means 5000)");
        }
        init = PromptInit.newBuilder().setSampledVocab(SampledVocabInit.newBuilder()
            .setTopK(k == 0 ? PromptInitializer.DEFAULT_TOP_K : k)).build();
      }
      case CLASS_LABELS -> {
        if (!format.hasLabels()) {
          throw invalid(field + ".class_labels", "class-label init needs a task format with labels");
        }
      }
      case TEXT -> {
        if (init.getText().getText().isBlank()) {
          throw invalid(field + ".text.text", "init text is empty");
        }
      }
      case FROM_VERSION -> {
        if (!init.getFromVersion().hasVersion()
            || init.getFromVersion().getVersion().getSelectorCase() == VersionSelector.SelectorCase.SELECTOR_NOT_SET) {
          throw invalid(field + ".from_version.version", "a version selector is required");
        }
        source = resolveVersion.apply(init.getFromVersion().getVersion());
        if (source.getDModel() != model.getDModel()) {
          throw new ServiceException(ErrorReason.MODEL_MISMATCH,
              "version " + source.getId() + " has width " + source.getDModel() + ", the model's d_model is "
                  + model.getDModel(), Map.of("version_id", source.getId()));
        }
        // Pin "name@prod" or "name:3" to the id it means now, so a resumed job starts from the same prompt.
        init = PromptInit.newBuilder().setFromVersion(VersionInit.newBuilder()
            .setVersion(VersionSelector.newBuilder().setVersionId(source.getId()))).build();
      }
      case METHOD_NOT_SET -> throw invalid(field, "init has no method set");
    }
    return new Init(init, source);
  }

  /**
   * Ensemble training: 0 or 1 leaves a single-prompt job exactly as before (no member fields allowed); 2 to
   * {@link #MAX_ENSEMBLE_SIZE} normalises each member init like {@code init} and fills in the rule.
   */
  private static void normalizeEnsemble(JobSpec spec, JobSpec.Builder b, EvalMode evalMode, ResolvedFormat format,
      ModelInfo model, Function<VersionSelector, PromptVersion> resolveVersion) {
    int size = spec.getEnsembleSize();
    if (size < 0 || size > MAX_ENSEMBLE_SIZE) {
      throw invalid("ensemble_size", "ensemble_size must be between 2 and " + MAX_ENSEMBLE_SIZE
          + " for an ensemble (0 or 1 trains one prompt); got " + size);
    }
    if (spec.getMemberInitsCount() > Math.max(size, 1) || (size <= 1 && spec.getMemberInitsCount() > 0)) {
      throw invalid("member_inits", "member_inits has " + spec.getMemberInitsCount() + " entries but ensemble_size is "
          + size + (size <= 1 ? "; member_inits is for ensembles (ensemble_size 2 to " + MAX_ENSEMBLE_SIZE
          + "), use init for one prompt" : "; give at most one init per member"));
    }
    if (size <= 1) {
      return;
    }
    if (model.getMaxBatchExamples() > 0 && size > model.getMaxBatchExamples()) {
      throw invalid("ensemble_size", "ensemble_size " + size + " is over the runtime's " + model.getMaxBatchExamples()
          + " examples per request: evaluating an ensemble runs each example once per member in one request");
    }
    b.clearMemberInits();
    for (int i = 0; i < spec.getMemberInitsCount(); i++) {
      b.addMemberInits(normalizeInit(spec.getMemberInits(i), "member_inits[" + i + "]", format, model,
          resolveVersion).init());
    }
    CombinationRule rule = switch (spec.getEnsembleRule()) {
      case COMBINATION_RULE_UNSPECIFIED, MAJORITY_VOTE -> CombinationRule.MAJORITY_VOTE;
      case MEAN_LOG_PROB -> CombinationRule.MEAN_LOG_PROB;
      case UNRECOGNIZED -> throw invalid("ensemble_rule", "ensemble_rule must be MAJORITY_VOTE or MEAN_LOG_PROB");
    };
    if (rule == CombinationRule.MEAN_LOG_PROB && evalMode != EvalMode.RANK_CLASSIFICATION) {
      throw invalid("ensemble_rule", "MEAN_LOG_PROB combines candidate log-probabilities, so it needs"
          + " RANK_CLASSIFICATION; EXACT_MATCH ensembles vote (MAJORITY_VOTE)");
    }
    b.setEnsembleRule(rule);
  }

  /** The number of prompts a (normalised) job trains: 1 unless it is an ensemble. */
  public static int members(JobSpec spec) {
    return Math.max(1, spec.getEnsembleSize());
  }

  /** Member i's init: member_inits[i] when given, else init. */
  public static PromptInit memberInit(JobSpec spec, int member) {
    return member < spec.getMemberInitsCount() ? spec.getMemberInits(member) : spec.getInit();
  }

  /** Member i's seed: the job's seed + i (wrapping like unsigned 64-bit arithmetic). */
  public static long memberSeed(JobSpec spec, int member) {
    return spec.getSeed() + member;
  }

  static PromptInit defaultInit(ResolvedFormat format) {
    return format.hasLabels()
        ? PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance()).build()
        : PromptInit.newBuilder().setSampledVocab(SampledVocabInit.newBuilder()
            .setTopK(PromptInitializer.DEFAULT_TOP_K)).build();
  }

  static RuntimeException invalid(String field, String message) {
    return new ServiceException(ErrorReason.INVALID_ARGUMENT, message,
        Map.of("field", "spec." + field));
  }
}
