package io.promptune.trainer.loop;

/** The loss, the gradient or the updated prompt is NaN or infinite: the job fails instead of publishing garbage. */
public final class NonFiniteException extends RuntimeException {
  public NonFiniteException(String message) {
    super(message);
  }
}
