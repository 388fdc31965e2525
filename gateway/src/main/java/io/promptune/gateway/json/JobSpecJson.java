package io.promptune.gateway.json;

import static io.promptune.gateway.json.Protos.name;
import static io.promptune.gateway.json.Protos.orEmpty;
import static io.promptune.gateway.json.Protos.str;

import io.promptune.api.v1.Adafactor;
import io.promptune.api.v1.Adam;
import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.ConstantSchedule;
import io.promptune.api.v1.EarlyStopping;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.Optimizer;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.RandomUniformInit;
import io.promptune.api.v1.SampledVocabInit;
import io.promptune.api.v1.Schedule;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.TextInit;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.VersionInit;
import io.promptune.api.v1.VersionSelector;
import io.promptune.api.v1.WarmupInverseSqrtSchedule;
import io.promptune.api.v1.WarmupLinearSchedule;
import io.promptune.gateway.errors.ApiError;
import java.util.List;
import java.util.Map;

/**
 * A training job as JSON (the body of POST /v1/jobs and the {@code spec} of every job). Absent fields take the
 * trainer's defaults, which are the paper's: prompt length 100, class-label init, Adafactor lr 0.3, batch 32.
 * {@code ensemble_size} >= 2 trains that many prompts in one job (member i: seed + i, init {@code member_inits[i]}
 * or {@code init}) and publishes each member and an ensemble over them combined by {@code ensemble_rule}.
 */
public record JobSpecJson(String dataset, TaskFormatJson taskFormat, Integer promptLength, InitJson init,
    OptimizerJson optimizer, ScheduleJson schedule, Integer batchSize, Integer maxSteps, Integer evalInterval,
    String evalMode, Integer maxEvalExamples, EarlyStoppingJson earlyStopping, Long seed,
    Integer checkpointInterval, String outputPrompt, String task, String truncation, String baseModelFingerprint,
    Integer ensembleSize, List<InitJson> memberInits, String ensembleRule) {

  /** Prompt ensembling (section 7.2 of the paper): at most this many members in one job. */
  public static final int MAX_ENSEMBLE_SIZE = 32;

  /** How records become text-to-text pairs: a built-in name or templates with {field} placeholders. */
  public record TaskFormatJson(String name, String inputTemplate, String targetTemplate,
      Map<String, String> labelMap, List<String> labels) {}

  /**
   * method: random_uniform (range), sampled_vocab (top_k), class_labels, text (text) or from_version (version: an
   * id, name:N or name@env).
   */
  public record InitJson(String method, Float range, Integer topK, String text, String version) {}

  /** type: adafactor (learning_rate, decay_rate, weight_decay, clip_threshold, scale_parameter, eps1, eps2,
   * beta1) or adam (learning_rate, beta1, beta2, eps, weight_decay). */
  public record OptimizerJson(String type, Float learningRate, Float decayRate, Float weightDecay,
      Float clipThreshold, Boolean scaleParameter, Float eps1, Float eps2, Float beta1, Float beta2, Float eps) {}

  /** type: constant, warmup_linear or warmup_inverse_sqrt (warmup_steps). */
  public record ScheduleJson(String type, Integer warmupSteps) {}

  public record EarlyStoppingJson(Integer patience, Float minDelta) {}

  private static int i(Integer v) {
    return v == null ? 0 : v;
  }

  private static float f(Float v) {
    return v == null ? 0f : v;
  }

  /** The proto spec; a 400 naming the field when something is missing or unknown. */
  public JobSpec toProto() {
    if (dataset == null || dataset.isBlank()) {
      throw ApiError.invalidField("dataset", "Field 'dataset' is required: the id or name of an uploaded dataset "
          + "(POST /v1/datasets).");
    }
    if (maxSteps == null || maxSteps <= 0) {
      throw ApiError.invalidField("max_steps", "Field 'max_steps' is required and must be > 0.");
    }
    JobSpec.Builder b = JobSpec.newBuilder()
        .setBaseModelFingerprint(orEmpty(baseModelFingerprint))
        .setDataset(dataset.trim())
        .setPromptLength(nonNegative(promptLength, "prompt_length"))
        .setBatchSize(nonNegative(batchSize, "batch_size"))
        .setMaxSteps(maxSteps)
        .setEvalInterval(nonNegative(evalInterval, "eval_interval"))
        .setEvalMode(Protos.parse(EvalMode.class, evalMode, "eval_mode", EvalMode.EVAL_MODE_UNSPECIFIED))
        .setMaxEvalExamples(nonNegative(maxEvalExamples, "max_eval_examples"))
        .setSeed(seed == null ? 0 : seed)
        .setCheckpointInterval(nonNegative(checkpointInterval, "checkpoint_interval"))
        .setOutputPrompt(orEmpty(outputPrompt))
        .setTask(orEmpty(task))
        .setTruncation(Protos.parse(Truncation.class, truncation, "truncation", Truncation.TRUNCATION_UNSPECIFIED));
    if (taskFormat != null) {
      b.setTaskFormat(taskFormatProto(taskFormat));
    }
    if (init != null) {
      b.setInit(initProto(init, "init"));
    }
    int members = nonNegative(ensembleSize, "ensemble_size");
    if (members > MAX_ENSEMBLE_SIZE) {
      throw ApiError.invalidField("ensemble_size", "Field 'ensemble_size' must be at most " + MAX_ENSEMBLE_SIZE
          + " (0 or 1: one prompt); got " + members + ".");
    }
    b.setEnsembleSize(members);
    if (memberInits != null && !memberInits.isEmpty()) {
      if (members < 2) {
        throw ApiError.invalidField("member_inits", "Field 'member_inits' needs 'ensemble_size' >= 2.");
      }
      if (memberInits.size() > members) {
        throw ApiError.invalidField("member_inits", "Field 'member_inits' has " + memberInits.size()
            + " entries for " + members + " members.");
      }
      for (int i = 0; i < memberInits.size(); i++) {
        if (memberInits.get(i) == null) {
          throw ApiError.invalidField("member_inits[" + i + "]", "member_inits[" + i + "] is null.");
        }
        b.addMemberInits(initProto(memberInits.get(i), "member_inits[" + i + "]"));
      }
    }
    if (ensembleRule != null && !ensembleRule.isBlank()) {
      if (members < 2) {
        throw ApiError.invalidField("ensemble_rule", "Field 'ensemble_rule' needs 'ensemble_size' >= 2.");
      }
      b.setEnsembleRule(Protos.parse(CombinationRule.class, ensembleRule, "ensemble_rule",
          CombinationRule.MAJORITY_VOTE));
    }
    if (optimizer != null) {
      b.setOptimizer(optimizerProto());
    }
    if (schedule != null) {
      b.setSchedule(scheduleProto());
    }
    if (earlyStopping != null) {
      b.setEarlyStopping(EarlyStopping.newBuilder().setPatience(nonNegative(earlyStopping.patience(),
          "early_stopping.patience")).setMinDelta(f(earlyStopping.minDelta())));
    }
    return b.build();
  }

  private static int nonNegative(Integer v, String field) {
    if (v != null && v < 0) {
      throw ApiError.invalidField(field, "Field '" + field + "' must be >= 0 (0 or absent: the default).");
    }
    return i(v);
  }

  static PromptInit initProto(InitJson init, String field) {
    String m = init.method() == null ? "" : init.method().trim().toLowerCase(java.util.Locale.ROOT);
    PromptInit.Builder p = PromptInit.newBuilder();
    switch (m) {
      case "random_uniform" -> p.setRandomUniform(RandomUniformInit.newBuilder().setRange(f(init.range())));
      case "sampled_vocab" -> p.setSampledVocab(SampledVocabInit.newBuilder().setTopK(i(init.topK())));
      case "class_labels" -> p.setClassLabels(ClassLabelInit.getDefaultInstance());
      case "text" -> {
        if (init.text() == null || init.text().isBlank()) {
          throw ApiError.invalidField(field + ".text", "init method 'text' needs '" + field + ".text'.");
        }
        p.setText(TextInit.newBuilder().setText(init.text()));
      }
      case "from_version" -> {
        if (init.version() == null || init.version().isBlank()) {
          throw ApiError.invalidField(field + ".version", "init method 'from_version' needs '" + field
              + ".version' (an id, name:N or name@env).");
        }
        p.setFromVersion(VersionInit.newBuilder().setVersion(VersionSelector.newBuilder().setRef(init.version())));
      }
      default -> throw ApiError.invalidField(field + ".method", "Field '" + field + ".method' must be one of "
          + "random_uniform, sampled_vocab, class_labels, text, from_version; got '" + init.method() + "'.");
    }
    return p.build();
  }

  private Optimizer optimizerProto() {
    String type = optimizer.type() == null ? "adafactor" : optimizer.type().trim().toLowerCase(java.util.Locale.ROOT);
    return switch (type) {
      case "adafactor" -> Optimizer.newBuilder().setAdafactor(Adafactor.newBuilder()
          .setLearningRate(f(optimizer.learningRate())).setDecayRate(f(optimizer.decayRate()))
          .setWeightDecay(f(optimizer.weightDecay())).setClipThreshold(f(optimizer.clipThreshold()))
          .setScaleParameter(Boolean.TRUE.equals(optimizer.scaleParameter())).setEps1(f(optimizer.eps1()))
          .setEps2(f(optimizer.eps2())).setBeta1(f(optimizer.beta1()))).build();
      case "adam", "adamw" -> Optimizer.newBuilder().setAdam(Adam.newBuilder()
          .setLearningRate(f(optimizer.learningRate())).setBeta1(f(optimizer.beta1())).setBeta2(f(optimizer.beta2()))
          .setEps(f(optimizer.eps())).setWeightDecay(f(optimizer.weightDecay()))).build();
      default -> throw ApiError.invalidField("optimizer.type", "Field 'optimizer.type' must be adafactor or adam; "
          + "got '" + optimizer.type() + "'.");
    };
  }

  private Schedule scheduleProto() {
    String type = schedule.type() == null ? "constant" : schedule.type().trim().toLowerCase(java.util.Locale.ROOT);
    int warmup = nonNegative(schedule.warmupSteps(), "schedule.warmup_steps");
    return switch (type) {
      case "constant" -> Schedule.newBuilder().setConstant(ConstantSchedule.getDefaultInstance()).build();
      case "warmup_linear" -> Schedule.newBuilder().setWarmupLinear(WarmupLinearSchedule.newBuilder()
          .setWarmupSteps(warmup)).build();
      case "warmup_inverse_sqrt" -> Schedule.newBuilder().setWarmupInverseSqrt(WarmupInverseSqrtSchedule.newBuilder()
          .setWarmupSteps(warmup)).build();
      default -> throw ApiError.invalidField("schedule.type", "Field 'schedule.type' must be constant, "
          + "warmup_linear or warmup_inverse_sqrt; got '" + schedule.type() + "'.");
    };
  }

  public static JobSpecJson of(JobSpec s) {
    TaskFormatJson tf = s.hasTaskFormat() ? taskFormatJson(s.getTaskFormat()) : null;
    InitJson init = s.hasInit() ? initJson(s.getInit()) : null;
    OptimizerJson opt = null;
    if (s.hasOptimizer()) {
      Optimizer o = s.getOptimizer();
      if (o.hasAdafactor()) {
        Adafactor a = o.getAdafactor();
        opt = new OptimizerJson("adafactor", a.getLearningRate(), a.getDecayRate(), a.getWeightDecay(),
            a.getClipThreshold(), a.getScaleParameter(), a.getEps1(), a.getEps2(), a.getBeta1(), null, null);
      } else if (o.hasAdam()) {
        Adam a = o.getAdam();
        opt = new OptimizerJson("adam", a.getLearningRate(), null, a.getWeightDecay(), null, null, null, null,
            a.getBeta1(), a.getBeta2(), a.getEps());
      }
    }
    ScheduleJson sched = null;
    if (s.hasSchedule()) {
      Schedule sc = s.getSchedule();
      sched = switch (sc.getKindCase()) {
        case CONSTANT -> new ScheduleJson("constant", null);
        case WARMUP_LINEAR -> new ScheduleJson("warmup_linear", sc.getWarmupLinear().getWarmupSteps());
        case WARMUP_INVERSE_SQRT -> new ScheduleJson("warmup_inverse_sqrt", sc.getWarmupInverseSqrt().getWarmupSteps());
        default -> null;
      };
    }
    EarlyStoppingJson es = s.hasEarlyStopping() ? new EarlyStoppingJson(s.getEarlyStopping().getPatience(),
        s.getEarlyStopping().getMinDelta()) : null;
    return new JobSpecJson(s.getDataset(), tf, s.getPromptLength(), init, opt, sched, s.getBatchSize(),
        s.getMaxSteps(), s.getEvalInterval(), name(s.getEvalMode()), s.getMaxEvalExamples(), es, s.getSeed(),
        s.getCheckpointInterval(), str(s.getOutputPrompt()), str(s.getTask()), name(s.getTruncation()),
        str(s.getBaseModelFingerprint()), s.getEnsembleSize() > 1 ? s.getEnsembleSize() : null,
        s.getMemberInitsCount() == 0 ? null : s.getMemberInitsList().stream().map(JobSpecJson::initJson).toList(),
        s.getEnsembleSize() > 1 ? name(s.getEnsembleRule() == CombinationRule.COMBINATION_RULE_UNSPECIFIED
            ? CombinationRule.MAJORITY_VOTE : s.getEnsembleRule()) : null);
  }

  static InitJson initJson(PromptInit p) {
    return switch (p.getMethodCase()) {
      case RANDOM_UNIFORM -> new InitJson("random_uniform", p.getRandomUniform().getRange(), null, null, null);
      case SAMPLED_VOCAB -> new InitJson("sampled_vocab", null, p.getSampledVocab().getTopK(), null, null);
      case CLASS_LABELS -> new InitJson("class_labels", null, null, null, null);
      case TEXT -> new InitJson("text", null, null, p.getText().getText(), null);
      case FROM_VERSION -> new InitJson("from_version", null, null, null, selector(p.getFromVersion().getVersion()));
      default -> null;
    };
  }

  /** The task format as JSON (shared with evaluation specs). */
  static TaskFormatJson taskFormatJson(TaskFormat t) {
    return new TaskFormatJson(str(t.getName()), str(t.getInputTemplate()), str(t.getTargetTemplate()),
        t.getLabelMapMap(), t.getLabelsList());
  }

  /** The task format as proto (shared with evaluation specs). */
  static TaskFormat taskFormatProto(TaskFormatJson taskFormat) {
    TaskFormat.Builder t = TaskFormat.newBuilder().setName(orEmpty(taskFormat.name()))
        .setInputTemplate(orEmpty(taskFormat.inputTemplate())).setTargetTemplate(orEmpty(taskFormat.targetTemplate()));
    if (taskFormat.labelMap() != null) {
      t.putAllLabelMap(taskFormat.labelMap());
    }
    if (taskFormat.labels() != null) {
      t.addAllLabels(taskFormat.labels());
    }
    return t.build();
  }

  static String selector(VersionSelector v) {
    return switch (v.getSelectorCase()) {
      case VERSION_ID -> v.getVersionId();
      case NUMBERED -> v.getNumbered().getPromptName() + ":" + v.getNumbered().getNumber();
      case ENVIRONMENT -> v.getEnvironment().getPromptName() + "@" + v.getEnvironment().getEnvironment();
      case REF -> v.getRef();
      default -> null;
    };
  }
}
