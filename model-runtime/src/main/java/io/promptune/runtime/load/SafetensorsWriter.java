package io.promptune.runtime.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
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
 * multiple of 8, as Hugging Face's writer does. The file is written to a temporary name and moved into place.
 */
public final class SafetensorsWriter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsWriter() {}

  /** Raw bytes of one tensor in its file dtype (little-endian). */
  public record RawTensor(String name, String dtype, long[] shape, ByteBuffer bytes) {}

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

  public static void write(Path file, List<RawTensor> tensors, Map<String, String> metadata) throws IOException {
    List<RawTensor> sorted = new ArrayList<>(tensors);
    sorted.sort(Comparator.comparing(RawTensor::name));
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode m = header.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    long offset = 0;
    for (RawTensor t : sorted) {
      ObjectNode e = header.putObject(t.name());
      e.put("dtype", t.dtype());
      ArrayNode s = e.putArray("shape");
      for (long d : t.shape()) {
        s.add(d);
      }
      long len = t.bytes().remaining();
      e.putArray("data_offsets").add(offset).add(offset + len);
      offset += len;
    }
    byte[] hj = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (hj.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(hj);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
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

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
