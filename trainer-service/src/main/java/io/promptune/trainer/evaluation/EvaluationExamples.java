package io.promptune.trainer.evaluation;

import io.promptune.api.v1.EvalMode;
import io.promptune.trainer.dataset.DataRecord;
import io.promptune.trainer.format.ResolvedFormat;
import io.promptune.trainer.format.TextPair;
import java.util.ArrayList;
import java.util.List;

/**
 * The examples an evaluation runs on: the first {@code maxExamples} records of the split (all when 0), in dataset
 * order, rendered by the task format. Built at submit (to refuse a dataset that does not fit) and by the worker.
 */
public final class EvaluationExamples {

  private EvaluationExamples() {}

  /** @throws IllegalArgumentException naming the split, the record and the problem */
  public static List<TextPair> build(ResolvedFormat format, EvalMode mode, List<DataRecord> records,
      int maxExamples, String split) {
    List<DataRecord> used = maxExamples > 0 && records.size() > maxExamples ? records.subList(0, maxExamples)
        : records;
    List<TextPair> out = new ArrayList<>(used.size());
    for (int i = 0; i < used.size(); i++) {
      String where = split + " record " + (i + 1) + ": ";
      TextPair p;
      try {
        p = format.apply(used.get(i));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + e.getMessage(), e);
      }
      if (p.input().isEmpty()) {
        throw new IllegalArgumentException(where + "the input text is empty");
      }
      if (p.target().isEmpty()) {
        throw new IllegalArgumentException(where + "the target text is empty");
      }
      if (mode == EvalMode.RANK_CLASSIFICATION && !format.labels().contains(p.target())) {
        throw new IllegalArgumentException(where + "target \"" + p.target() + "\" is not one of the labels "
            + format.labels() + " (rank classification needs it to be)");
      }
      out.add(p);
    }
    return out;
  }
}
