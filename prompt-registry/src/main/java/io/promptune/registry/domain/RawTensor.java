package io.promptune.registry.domain;

import io.promptune.api.v1.DType;
import java.util.List;

/** A tensor as received, not yet checked; {@link PromptTensor#validate} makes a prompt of it or says why not. */
public record RawTensor(DType dtype, List<Long> shape, byte[] data) {

  public PromptTensor validate(PromptTensor.Limits limits, String what) {
    return PromptTensor.validate(dtype, shape, data, limits, what);
  }
}
