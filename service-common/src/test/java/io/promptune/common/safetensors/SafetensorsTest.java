package io.promptune.common.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.common.safetensors.SafetensorsWriter.RawTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one safetensors reader and writer: checkpoints on disk (the runtime) and adapters in memory (the registry). */
class SafetensorsTest {

  private static final String NAME = "adapter_model.safetensors";

  @TempDir
  Path dir;

  static final float[] A = {1f, -2.5f, 3.25f, 0f, 1e-3f, -65504f};
  static final float[] B = {0.5f, 0.25f};

  /** A file from a header (as given, unpadded) and a data section. */
  static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h)
        .put(data).array();
  }

  static byte[] f32(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  /**
   * Both ways in reject {@code bytes} with the same problem; the message starts with the file's name. Returns the
   * message of the file reader.
   */
  String rejects(byte[] bytes) throws IOException {
    Path f = Files.write(dir.resolve("bad.safetensors"), bytes);
    SafetensorsFormatException onDisk = assertThrows(SafetensorsFormatException.class,
        () -> SafetensorsReader.readFile(f));
    SafetensorsFormatException inMemory = assertThrows(SafetensorsFormatException.class,
        () -> SafetensorsReader.read(bytes, NAME));
    assertEquals(onDisk.problem(), inMemory.problem());
    assertEquals(NAME + ": " + inMemory.problem(), inMemory.getMessage());
    assertEquals(NAME, inMemory.file());
    assertTrue(onDisk.getMessage().startsWith(f + ": "), onDisk.getMessage());
    return onDisk.getMessage();
  }

  static void assertMentions(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), () -> "message '" + message + "' should mention '" + p + "'");
    }
  }

  @Test
  void roundTripF32WithMetadata() throws IOException {
    Path f = dir.resolve("ok.safetensors");
    SafetensorsWriter.write(f, List.of(SafetensorsWriter.f32("b", new long[] {2}, B),
        SafetensorsWriter.f32("a", new long[] {2, 3}, A)), Map.of("format", "pt"));
    SafetensorsReader.Header h = SafetensorsReader.readHeader(f);
    assertEquals("pt", h.metadata().get("format"));
    assertEquals(0, (h.dataStart() - 8) % 8, "header padded to a multiple of 8");
    assertEquals(List.of("a", "b"), h.entries().stream().map(SafetensorsReader.Entry::name).toList(), "sorted");
    Map<String, TensorData> t = SafetensorsReader.readFile(f);
    assertArrayEquals(A, t.get("a").toFloatArray());
    assertArrayEquals(new long[] {2, 3}, t.get("a").shape());
    assertArrayEquals(B, t.get("b").toFloatArray());
  }

  @Test
  void inMemoryWritesWhatItReadsAndMatchesTheFileWriter() throws IOException {
    byte[] data = new byte[2 * 3 * 4];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    List<RawTensor> tensors = List.of(RawTensor.of("prompt_embeddings", "F32", new long[] {2, 3}, data));
    byte[] bytes = SafetensorsWriter.toBytes(tensors, Map.of("format", "pt"));
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "data section 8-byte aligned");
    SafetensorsReader.Contents c = SafetensorsReader.read(bytes, NAME);
    assertEquals(Map.of("format", "pt"), c.metadata());
    SafetensorsReader.Entry e = c.tensors().get("prompt_embeddings");
    assertEquals("F32", e.dtype());
    assertEquals(List.of(2L, 3L), e.shape());
    assertArrayEquals(data, c.bytes(e));

    Path f = dir.resolve("same.safetensors");
    SafetensorsWriter.write(f, tensors, Map.of("format", "pt"));
    assertArrayEquals(bytes, Files.readAllBytes(f), "one writer: the same bytes in memory and on disk");
  }

  @Test
  void inMemoryReadsAnyDtypeTheFormatDefines() throws IOException {
    byte[] data = new byte[8 + 2];
    String header = "{\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]},"
        + "\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}   ";
    SafetensorsReader.Contents c = SafetensorsReader.read(file(header, data), NAME);
    assertEquals(List.of("b", "a"), List.copyOf(c.tensors().keySet()), "file order");
    assertEquals(List.of(), c.tensors().get("a").shape());
    // ... while loading as float32 refuses what it cannot convert
    Path f = Files.write(dir.resolve("i.safetensors"), file(header, data));
    assertMentions(assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.readFile(f)).getMessage(),
        "i.safetensors", "'a'", "unsupported dtype I64");
  }

  @Test
  void f16AndBf16AreConvertedToFloat32() throws IOException {
    float[] v = {1f, -2f, 0.5f, 3.140625f, 65504f, -0.0f};
    Path f = dir.resolve("half.safetensors");
    SafetensorsWriter.write(f, List.of(SafetensorsWriter.f16("h", new long[] {6}, v),
        SafetensorsWriter.bf16("b", new long[] {3, 2}, v)), null);
    Map<String, TensorData> t = SafetensorsReader.readFile(f);
    assertArrayEquals(v, t.get("h").toFloatArray());
    assertEquals("F16", t.get("h").sourceDtype());
    float[] bf = t.get("b").toFloatArray();
    assertEquals(1f, bf[0]);
    assertEquals(-2f, bf[1]);
    assertEquals(0.5f, bf[2]);
    assertEquals(3.140625f, bf[3]);
    assertEquals(65536f, bf[4]); // 65504 rounds to 65536 in bfloat16
    assertEquals("BF16", t.get("b").sourceDtype());
    // a value that needs the low mantissa bits: bf16 keeps 8 bits of precision
    Path g = dir.resolve("bf.safetensors");
    SafetensorsWriter.write(g, List.of(SafetensorsWriter.bf16("x", new long[] {1}, new float[] {1.00390625f})), null);
    assertEquals(1.0f, SafetensorsReader.readFile(g).get("x").toFloatArray()[0]);
  }

  @Test
  void rejectsFilesTooShortForTheHeaderLength() throws IOException {
    assertMentions(rejects(new byte[] {1, 2, 3}), "too short", "8-byte header length");
  }

  @Test
  void rejectsHeaderLengthsThatDoNotFit() throws IOException {
    assertMentions(rejects(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array()),
        "header length 1000", "runs past the end");
    assertMentions(rejects(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array()),
        "header length " + (1L << 40), "limit");
    assertMentions(rejects(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array()),
        "18446744073709551615");
  }

  @Test
  void rejectsHeadersThatAreNotJsonObjects() throws IOException {
    assertMentions(rejects(file("[1,2]   ", new byte[0])), "JSON object");
    assertMentions(rejects(file("", new byte[0])), "JSON object");
    assertMentions(rejects(file("{\"a\": ", new byte[0])), "not valid JSON");
    assertMentions(rejects(file("{} {}", new byte[0])), "not valid JSON");
    byte[] notUtf8 = file("{\"a\":1}", new byte[0]);
    notUtf8[10] = (byte) 0xff;
    assertMentions(rejects(notUtf8), "UTF-8");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1))), "not valid JSON", "'a'");
  }

  @Test
  void rejectsBadEntries() throws IOException {
    assertMentions(rejects(file("{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1))),
        "'w'", "unknown dtype 'F33'");
    assertMentions(rejects(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1))), "'a'", "dtype");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", f32(1))), "'a'",
        "shape must be an array");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", f32(1))),
        "'a'", "shape must hold non-negative integers, got -1");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", f32(1))),
        "'a'", "shape");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32(1))), "'a'", "data_offsets");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", f32(1))),
        "data_offsets must be an array of 2");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
        f32(1))), "'a'", "unknown field 'x'");
    assertMentions(rejects(file("{\"a\":[1]}", f32(1))), "'a'", "must be an object");
    assertMentions(rejects(file("{\"__metadata__\":{\"k\":1}}", new byte[0])), "__metadata__['k'] must be a string");
    assertMentions(rejects(file("{\"__metadata__\":[1]}", new byte[0])), "__metadata__ must be an object");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", new byte[1])),
        "'a'", "does not fill whole bytes");
  }

  @Test
  void rejectsOffsetsOutsideTheDataSection() throws IOException {
    // a truncated file: the header promises 8 bytes but only 4 follow
    assertMentions(rejects(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(1))),
        "'w'", "data_offsets [0, 8] lie outside the data section (4 bytes)");
    assertMentions(rejects(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", f32(1))),
        "'w'", "invalid data_offsets [4, 0]");
    byte[] good = SafetensorsWriter.toBytes(List.of(SafetensorsWriter.f32("t", new long[] {1}, new float[1])),
        Map.of());
    assertMentions(rejects(Arrays.copyOf(good, good.length - 1)), "outside the data section");
  }

  @Test
  void rejectsShapesThatDoNotMatchTheirBytes() throws IOException {
    assertMentions(rejects(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", f32(1, 2))),
        "'w'", "needs 12 bytes", "span 8");
    assertMentions(rejects(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
        + "\"data_offsets\":[0,12]}}", new byte[12])), "'t'", "too large");
  }

  @Test
  void rejectsOverlapsHolesAndTrailingBytes() throws IOException {
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", f32(1, 2, 3))), "'b'", "overlap", "'a'");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", f32(1, 2))),
        "bytes [0, 4)", "before tensor 'a'", "belong to no tensor");
    assertMentions(rejects(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[7])),
        "3 trailing bytes");
    byte[] good = SafetensorsWriter.toBytes(List.of(SafetensorsWriter.f32("t", new long[] {1}, new float[1])),
        Map.of());
    assertMentions(rejects(Arrays.copyOf(good, good.length + 1)), "1 trailing bytes");
  }

  @Test
  void shardedIndexIsLoadedAndChecked() throws IOException {
    SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"),
        List.of(SafetensorsWriter.f32("a", new long[] {6}, A)), Map.of("format", "pt"));
    SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"),
        List.of(SafetensorsWriter.f32("b", new long[] {2}, B)), Map.of("format", "pt"));
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"metadata\":{\"total_size\":32},\"weight_map\":{"
        + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
    SortedMap<String, TensorData> t = SafetensorsReader.readCheckpoint(dir);
    assertEquals(List.of("a", "b"), List.copyOf(t.keySet()));
    assertArrayEquals(A, t.get("a").toFloatArray());
    assertArrayEquals(B, t.get("b").toFloatArray());

    // index naming a tensor its shard lacks
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{"
        + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00001-of-00002.safetensors\"}}");
    SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
        () -> SafetensorsReader.readCheckpoint(dir));
    assertMentions(e.getMessage(), "model-00001-of-00002.safetensors", "'b'", "not in this shard");
    // shard holding a tensor the index does not list
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{"
        + "\"b\":\"model-00002-of-00002.safetensors\",\"a\":\"model-00002-of-00002.safetensors\"}}");
    assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.readCheckpoint(dir));
    // missing shard file and path escapes
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{\"a\":\"nope.safetensors\"}}");
    assertThrows(NoSuchFileException.class, () -> SafetensorsReader.readCheckpoint(dir));
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
    assertMentions(assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.readCheckpoint(dir))
        .getMessage(), "invalid shard file name");
  }

  @Test
  void readsCheckpointsWrittenByHuggingFace() throws IOException {
    String golden = System.getProperty("promptune.golden.dir");
    Assumptions.assumeTrue(golden != null && Files.isDirectory(Path.of(golden)),
        "golden checkpoints (system property promptune.golden.dir) not available");
    for (String model : List.of("tiny-t5-v1_0", "tiny-t5-v1_1")) {
      Path file = Path.of(golden, model, SafetensorsReader.SINGLE_FILE);
      SafetensorsReader.Header header = SafetensorsReader.readHeader(file);
      assertTrue(header.entries().size() > 10, model);
      SafetensorsReader.Contents inMemory = SafetensorsReader.read(Files.readAllBytes(file), model);
      assertEquals(header, inMemory.header(), "both ways in parse a file alike");
      Map<String, TensorData> tensors = SafetensorsReader.readCheckpoint(file.getParent());
      assertEquals(header.entries().size(), tensors.size());
    }
  }

  @Test
  void emptyDirectoryIsAClearError() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafetensorsReader.readCheckpoint(dir));
    assertTrue(e.getMessage().contains("model.safetensors"));
  }
}
