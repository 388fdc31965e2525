package io.promptune.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorsTest {

  // IEEE 754 single precision, little-endian, worked out by hand: 1.0 = 0x3F800000, -2.0 = 0xC0000000,
  // 0.5 = 0x3F000000, 3.0 = 0x40400000.
  private static final byte[] BYTES = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0, 0, 0, 0, 0x3F, 0, 0, 0x40,
      0x40};

  @Test
  void matrixToTensorIsRowMajorLittleEndianFloat32() {
    Tensor t = Tensors.fromMatrix(new float[][] {{1f, -2f}, {0.5f, 3f}});
    assertEquals(DType.FLOAT32, t.getDtype());
    assertEquals(List.of(2L, 2L), t.getShapeList());
    assertArrayEquals(BYTES, t.getData().toByteArray());
  }

  @Test
  void tensorToMatrix() {
    Tensor t = Tensor.newBuilder().setDtype(DType.FLOAT32).addShape(1).addShape(4).setData(ByteString.copyFrom(BYTES))
        .build();
    float[][] m = Tensors.toMatrix(t);
    assertEquals(1, m.length);
    assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f}, m[0]);
  }

  @Test
  void rejectsRaggedEmptyAndMalformed() {
    assertThrows(IllegalArgumentException.class, () -> Tensors.fromMatrix(new float[][] {{1f, 2f}, {3f}}));
    assertThrows(IllegalArgumentException.class, () -> Tensors.fromMatrix(new float[0][]));
    Tensor threeD = Tensor.newBuilder().setDtype(DType.FLOAT32).addShape(1).addShape(2).addShape(2)
        .setData(ByteString.copyFrom(BYTES)).build();
    assertThrows(IllegalArgumentException.class, () -> Tensors.toMatrix(threeD));
    Tensor short1 = threeD.toBuilder().clearShape().addShape(2).addShape(3).build();
    assertThrows(IllegalArgumentException.class, () -> Tensors.toMatrix(short1));
    Tensor nan = Tensors.fromMatrix(new float[][] {{Float.NaN}});
    assertThrows(IllegalArgumentException.class, () -> Tensors.toMatrix(nan));
  }
}
