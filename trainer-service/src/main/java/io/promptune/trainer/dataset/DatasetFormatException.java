package io.promptune.trainer.dataset;

import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.Split;
import io.promptune.common.errors.ServiceException;
import java.util.Map;

/**
 * An uploaded file that cannot be read: says which split, which line (1-based, 0 = the file as a whole), and why.
 * MALFORMED_FILE, with the split and the line as metadata.
 */
public final class DatasetFormatException extends ServiceException {

  private final Split split;
  private final int line;
  private final String problem;

  public DatasetFormatException(Split split, int line, String problem) {
    super(ErrorReason.MALFORMED_FILE, describe(split, line, problem),
        Map.of("split", split == Split.VALIDATION ? "VALIDATION" : "TRAIN", "line", Integer.toString(line)));
    this.split = split;
    this.line = line;
    this.problem = problem;
  }

  private static String describe(Split split, int line, String problem) {
    String where = (split == Split.VALIDATION ? "validation" : "train") + " file";
    return line > 0 ? where + ", line " + line + ": " + problem : where + ": " + problem;
  }

  public Split split() {
    return split;
  }

  public int line() {
    return line;
  }

  public String problem() {
    return problem;
  }
}
