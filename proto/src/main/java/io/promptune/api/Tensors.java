package io.promptune.api;

import com.google.protobuf.ByteString;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Float32 tensors to and from the v1 {@link Tensor} message (little-endian, row-major). */
public final class Tensors {

  private Tensors() {}

  public static Tensor float32(float[] values, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != values.length) {
      throw new IllegalArgumentException("shape product " + n + " != " + values.length + " values");
    }
    ByteBuffer buf = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    Tensor.Builder t = Tensor.newBuilder().setDtype(DType.FLOAT32).setData(ByteString.copyFrom(buf.array()));
    for (long d : shape) {
      t.addShape(d);
    }
    return t.build();
  }

  /**
   * The values of a FLOAT32 tensor. Throws IllegalArgumentException with a message naming {@code what} when the
   * dtype is not FLOAT32, the byte count does not match the shape, or a value is NaN or infinite.
   */
  public static float[] toFloats(Tensor t, String what) {
    if (t.getDtype() != DType.FLOAT32) {
      throw new IllegalArgumentException(what + ": dtype must be FLOAT32, got " + t.getDtype());
    }
    long n = 1;
    for (long d : t.getShapeList()) {
      if (d < 0) {
        throw new IllegalArgumentException(what + ": negative dimension in shape " + t.getShapeList());
      }
      n *= d;
    }
    if (t.getShapeCount() == 0 || n * Float.BYTES != t.getData().size()) {
      throw new IllegalArgumentException(what + ": shape " + t.getShapeList() + " needs " + (n * Float.BYTES)
          + " bytes, got " + t.getData().size());
    }
    float[] values = new float[(int) n];
    t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IllegalArgumentException(what + ": element " + i + " is " + values[i] + " (must be finite)");
      }
    }
    return values;
  }
}
