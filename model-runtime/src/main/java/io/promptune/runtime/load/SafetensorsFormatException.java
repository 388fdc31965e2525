package io.promptune.runtime.load;

import java.io.IOException;

/** A safetensors file (or its shard index) that is malformed; the message names the file and, where known, the tensor. */
public class SafetensorsFormatException extends IOException {
  public SafetensorsFormatException(String message) {
    super(message);
  }

  public SafetensorsFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
