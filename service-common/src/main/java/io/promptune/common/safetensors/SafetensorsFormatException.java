package io.promptune.common.safetensors;

import java.io.IOException;

/**
 * A safetensors file (or its shard index) that is malformed. The message is "{file}: {problem}"; the problem names
 * the tensor where one is at fault.
 */
public class SafetensorsFormatException extends IOException {

  private final String file;
  private final String problem;

  public SafetensorsFormatException(String file, String problem) {
    this(file, problem, null);
  }

  public SafetensorsFormatException(String file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** The file as the reader was told to call it. */
  public String file() {
    return file;
  }

  /** What is wrong, without the file name. */
  public String problem() {
    return problem;
  }
}
