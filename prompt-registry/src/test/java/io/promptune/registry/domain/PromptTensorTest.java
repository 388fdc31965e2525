package io.promptune.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.DType;
import io.promptune.api.v1.ErrorReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptTensorTest {

  private static final PromptTensor.Limits LIMITS = new PromptTensor.Limits(4096, 16 << 20);

  private static byte[] floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  private static String fails(ErrorReason reason, DType dtype, List<Long> shape, byte[] data) {
    RegistryException e = assertThrows(RegistryException.class,
        () -> PromptTensor.validate(dtype, shape, data, LIMITS, "tensor"));
    assertEquals(reason, e.reason());
    assertTrue(e.getMessage().startsWith("tensor: "), e.getMessage());
    return e.getMessage();
  }

  @Test
  void acceptsAFiniteMatrixAndHashesItsBytes() {
    byte[] data = floats(1, -2, Float.MIN_VALUE, -Float.MAX_VALUE, 0, -0f);
    PromptTensor t = PromptTensor.validate(DType.FLOAT32, List.of(3L, 2L), data, LIMITS, "tensor");
    assertEquals(3, t.length());
    assertEquals(2, t.dModel());
    assertEquals(PromptTensor.sha256Hex(data), t.sha256());
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", PromptTensor.sha256Hex(
        new byte[0]));
  }

  @Test
  void rejectsEachDefect() {
    fails(ErrorReason.INVALID_TENSOR, DType.BFLOAT16, List.of(1L, 2L), new byte[4]);
    fails(ErrorReason.INVALID_TENSOR, DType.DTYPE_UNSPECIFIED, List.of(1L, 2L), new byte[8]);
    fails(ErrorReason.SHAPE_MISMATCH, DType.FLOAT32, List.of(2L), new byte[8]);
    fails(ErrorReason.SHAPE_MISMATCH, DType.FLOAT32, List.of(), new byte[0]);
    fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(0L, 2L), new byte[0]);
    fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(-1L, -2L), new byte[8]);
    fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(1L, 2L), new byte[9]);
    fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(4097L, 1L), new byte[4097 * 4]);
    fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(1L, Long.MAX_VALUE), new byte[0]);
    fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(4096L, 1025L), new byte[0]);
    String nan = fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(2L, 2L), floats(0, 0, 0, Float.NaN));
    assertTrue(nan.contains("[1, 1]"), nan);
    fails(ErrorReason.INVALID_TENSOR, DType.FLOAT32, List.of(1L, 2L), floats(Float.POSITIVE_INFINITY, 0));
  }
}
