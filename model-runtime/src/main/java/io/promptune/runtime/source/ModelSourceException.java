package io.promptune.runtime.source;

/** A model could not be found, downloaded or verified. The message names the model and says what to do. */
public class ModelSourceException extends RuntimeException {
  public ModelSourceException(String message) {
    super(message);
  }

  public ModelSourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
