package io.promptune.trainer.job;

import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.JobSpec;
import io.promptune.trainer.dataset.DataRecord;
import io.promptune.trainer.format.ResolvedFormat;
import io.promptune.trainer.format.TaskFormats;
import io.promptune.trainer.format.TextPair;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's data in text-to-text form: the task format applied to every record of both splits (the validation split
 * cut to max_eval_examples), and the resolved eval mode. Built at submit (to reject bad jobs early) and again by
 * the worker.
 */
public record JobPlan(ResolvedFormat format, List<TextPair> train, List<TextPair> validation, EvalMode evalMode) {

  /** @throws IllegalArgumentException naming the split, record and problem */
  public static JobPlan build(JobSpec spec, List<DataRecord> train, List<DataRecord> validation) {
    ResolvedFormat format = TaskFormats.resolve(spec.getTaskFormat());
    EvalMode mode = resolveEvalMode(spec.getEvalMode(), format);
    List<TextPair> tr = apply(format, train, "train");
    List<DataRecord> dev = validation;
    if (spec.getMaxEvalExamples() > 0 && dev.size() > spec.getMaxEvalExamples()) {
      dev = dev.subList(0, spec.getMaxEvalExamples());
    }
    List<TextPair> va = apply(format, dev, "validation");
    if (mode == EvalMode.RANK_CLASSIFICATION) {
      for (int i = 0; i < va.size(); i++) {
        if (!format.labels().contains(va.get(i).target())) {
          throw new IllegalArgumentException("validation record " + (i + 1) + ": target \"" + va.get(i).target()
              + "\" is not one of the labels " + format.labels() + " (rank classification needs it to be)");
        }
      }
    }
    return new JobPlan(format, tr, va, mode);
  }

  public static EvalMode resolveEvalMode(EvalMode requested, ResolvedFormat format) {
    if (requested == EvalMode.RANK_CLASSIFICATION) {
      if (!format.hasLabels()) {
        throw new IllegalArgumentException("RANK_CLASSIFICATION needs a task format with labels");
      }
      return requested;
    }
    if (requested == EvalMode.EXACT_MATCH) {
      return requested;
    }
    return format.hasLabels() ? EvalMode.RANK_CLASSIFICATION : EvalMode.EXACT_MATCH;
  }

  private static List<TextPair> apply(ResolvedFormat format, List<DataRecord> records, String split) {
    List<TextPair> out = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      TextPair p;
      try {
        p = format.apply(records.get(i));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(split + " record " + (i + 1) + ": " + e.getMessage(), e);
      }
      if (p.input().isEmpty()) {
        throw new IllegalArgumentException(split + " record " + (i + 1) + ": the input text is empty");
      }
      if (p.target().isEmpty()) {
        throw new IllegalArgumentException(split + " record " + (i + 1) + ": the target text is empty");
      }
      out.add(p);
    }
    return out;
  }
}
