package io.promptune.gateway.inspect;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The class labels a nearest-token report marks, and where they came from: the request's {@code labels}, else what
 * the registry records about the version: a {@code labels} hyperparameter (comma separated), else the labels of the
 * task format of the training job that produced it (its {@code labels}, else its {@code label_map} values), else the
 * label set of a built-in task format named by the version's {@code task_format} hyperparameter or by its prompt's
 * task. The built-in label sets are those of the trainer's task formats (sst2, boolq, rte).
 */
public record TaskLabels(List<String> labels, String source) {

  public static final String REQUEST = "request";
  public static final String VERSION = "version_hyperparameters";
  public static final String TRAINING_JOB = "training_job";
  public static final String TASK_FORMAT = "task_format";
  public static final String PROMPT_TASK = "prompt_task";
  public static final String NONE = "none";

  private static final Map<String, List<String>> BUILTIN = Map.of(
      "sst2", List.of("negative", "positive"),
      "boolq", List.of("False", "True"),
      "rte", List.of("entailment", "not_entailment"));

  /** Comma-separated labels, trimmed, empty ones dropped. */
  public static List<String> parse(String csv) {
    if (csv == null) {
      return List.of();
    }
    return Arrays.stream(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty()).distinct().toList();
  }

  /**
   * @param requested the request's {@code labels} parameter (null when absent)
   * @param hyperparameters the version's hyperparameters
   * @param jobLabels the labels of the training job's task format (empty when unknown)
   * @param promptTask the task of the version's prompt (null or empty when unknown)
   */
  public static TaskLabels resolve(String requested, Map<String, String> hyperparameters, List<String> jobLabels,
      String promptTask) {
    if (requested != null) {
      return new TaskLabels(parse(requested), REQUEST);
    }
    List<String> recorded = parse(hyperparameters.get("labels"));
    if (!recorded.isEmpty()) {
      return new TaskLabels(recorded, VERSION);
    }
    if (!jobLabels.isEmpty()) {
      return new TaskLabels(List.copyOf(jobLabels), TRAINING_JOB);
    }
    List<String> format = BUILTIN.get(hyperparameters.getOrDefault("task_format", ""));
    if (format != null) {
      return new TaskLabels(format, TASK_FORMAT);
    }
    List<String> task = promptTask == null ? null : BUILTIN.get(promptTask);
    if (task != null) {
      return new TaskLabels(task, PROMPT_TASK);
    }
    return new TaskLabels(List.of(), NONE);
  }

  /**
   * The label a vocabulary piece stands for, or null: the piece without SentencePiece's word-start mark
   * ("\u2581") equals the label, ignoring case.
   */
  public String labelOf(String piece) {
    String p = piece.startsWith("\u2581") ? piece.substring(1) : piece;
    if (p.isEmpty()) {
      return null;
    }
    for (String l : labels) {
      if (l.equalsIgnoreCase(p)) {
        return l;
      }
    }
    return null;
  }
}
