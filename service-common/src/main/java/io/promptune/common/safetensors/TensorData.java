package io.promptune.common.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor as loaded: always float32, little-endian, row-major, in a direct buffer (so a native engine can wrap it
 * without another copy).
 *
 * @param name         the tensor's name in the checkpoint
 * @param shape        torch shape
 * @param data         direct buffer positioned at 0 holding {@code numElements() * 4} bytes, little-endian
 * @param sourceDtype  the dtype in the file (F32, F16 or BF16)
 * @param file         the file it came from (for messages)
 */
public record TensorData(String name, long[] shape, ByteBuffer data, String sourceDtype, Path file) {

  public TensorData {
    shape = shape.clone();
    data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    data.rewind();
    if (data.remaining() != numElements(shape) * 4L) {
      throw new IllegalArgumentException(
          "tensor '" + name + "' has " + data.remaining() + " bytes for shape " + Arrays.toString(shape));
    }
  }

  public static long numElements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public long numElements() {
    return numElements(shape);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** A read-only little-endian view positioned at 0. */
  public ByteBuffer buffer() {
    return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN).rewind();
  }

  public float[] toFloatArray() {
    float[] out = new float[Math.toIntExact(numElements())];
    buffer().asFloatBuffer().get(out);
    return out;
  }

  /** Creates a tensor from float values (copied into a direct buffer). */
  public static TensorData of(String name, long[] shape, float[] values) {
    ByteBuffer buf = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    return new TensorData(name, shape, buf, "F32", null);
  }

  @Override
  public String toString() {
    return "TensorData[" + name + " " + Arrays.toString(shape) + " from " + sourceDtype + "]";
  }
}
