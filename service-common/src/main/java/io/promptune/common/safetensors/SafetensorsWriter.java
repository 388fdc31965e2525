package io.promptune.common.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files: tensors in sorted name order with contiguous offsets, header padded with spaces to a
 * multiple of 8, as Hugging Face's writer does. {@link #write} writes a file to a temporary name and moves it into
 * place; {@link #toBytes} returns a small file in memory.
 */
public final class SafetensorsWriter {

  private SafetensorsWriter() {}

  /** Raw bytes of one tensor in its file dtype (little-endian). */
  public record RawTensor(String name, String dtype, long[] shape, ByteBuffer bytes) {

    /** A tensor of any dtype from its bytes as stored. */
    public static RawTensor of(String name, String dtype, long[] shape, byte[] bytes) {
      return new RawTensor(name, dtype, shape, ByteBuffer.wrap(bytes));
    }
  }

  public static RawTensor f32(TensorData t) {
    return new RawTensor(t.name(), "F32", t.shape(), t.buffer());
  }

  public static RawTensor f32(String name, long[] shape, float[] values) {
    return f32(TensorData.of(name, shape, values));
  }

  /** float32 values rounded to IEEE half precision. */
  public static RawTensor f16(String name, long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putShort(Float.floatToFloat16(v));
    }
    return new RawTensor(name, "F16", shape, b.flip());
  }

  /** float32 values truncated to bfloat16 (the upper 16 bits, round-to-nearest-even). */
  public static RawTensor bf16(String name, long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      int bits = Float.floatToRawIntBits(v);
      int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
      b.putShort((short) (rounded >>> 16));
    }
    return new RawTensor(name, "BF16", shape, b.flip());
  }

  public static void writeF32(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
      throws IOException {
    List<RawTensor> raw = new ArrayList<>();
    for (TensorData t : tensors.values()) {
      raw.add(f32(t));
    }
    write(file, raw, metadata);
  }

  /** Writes {@code tensors} (sorted by name) and {@code metadata} to {@code file}, atomically. */
  public static void write(Path file, List<RawTensor> tensors, Map<String, String> metadata) throws IOException {
    List<RawTensor> sorted = sorted(tensors);
    ByteBuffer head = SafetensorsHeader.write(sorted, metadata);
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        writeFully(ch, head);
        for (RawTensor t : sorted) {
          writeFully(ch, t.bytes().duplicate());
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The bytes of a file holding {@code tensors} (sorted by name) and {@code metadata}. */
  public static byte[] toBytes(List<RawTensor> tensors, Map<String, String> metadata) {
    List<RawTensor> sorted = sorted(tensors);
    ByteBuffer head = SafetensorsHeader.write(sorted, metadata);
    long size = head.remaining();
    for (RawTensor t : sorted) {
      size += t.bytes().remaining();
    }
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size));
    out.put(head);
    for (RawTensor t : sorted) {
      out.put(t.bytes().duplicate());
    }
    return out.array();
  }

  private static List<RawTensor> sorted(List<RawTensor> tensors) {
    List<RawTensor> sorted = new ArrayList<>(tensors);
    sorted.sort(Comparator.comparing(RawTensor::name));
    return sorted;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
