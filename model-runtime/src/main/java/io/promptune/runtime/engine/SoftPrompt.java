package io.promptune.runtime.engine;

/** A soft prompt P: row-major float32 values of shape [length, dModel]. */
public record SoftPrompt(int length, int dModel, float[] values) {
  public SoftPrompt {
    if (length <= 0 || dModel <= 0 || values.length != (long) length * dModel) {
      throw new IllegalArgumentException(
          "prompt of shape [" + length + ", " + dModel + "] needs " + ((long) length * dModel) + " values, got "
              + values.length);
    }
  }
}
