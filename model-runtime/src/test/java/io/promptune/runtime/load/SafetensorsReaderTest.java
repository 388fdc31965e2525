package io.promptune.runtime.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {

  @TempDir
  Path dir;

  static final float[] A = {1f, -2.5f, 3.25f, 0f, 1e-3f, -65504f};
  static final float[] B = {0.5f, 0.25f};

  /** A file from a raw header string and data bytes. */
  Path raw(String name, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h).put(data);
    Path f = dir.resolve(name);
    Files.write(f, buf.array());
    return f;
  }

  static byte[] f32(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  SafetensorsFormatException rejects(Path f) {
    return assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.readFile(f));
  }

  void assertMentions(Exception e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' should mention '" + p + "'");
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
    Map<String, TensorData> t = SafetensorsReader.readFile(f);
    assertArrayEquals(A, t.get("a").toFloatArray());
    assertArrayEquals(new long[] {2, 3}, t.get("a").shape());
    assertArrayEquals(B, t.get("b").toFloatArray());
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
  void rejectsFileShorterThanHeaderLength() throws IOException {
    Path f = dir.resolve("tiny.safetensors");
    Files.write(f, new byte[] {1, 2, 3});
    assertMentions(rejects(f), "tiny.safetensors", "too short");
  }

  @Test
  void rejectsHeaderLengthBeyondFile() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
    Path f = dir.resolve("len.safetensors");
    Files.write(f, b.array());
    assertMentions(rejects(f), "len.safetensors", "header length 1000");
    ByteBuffer neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).putLong(0);
    Files.write(f, neg.array());
    assertMentions(rejects(f), "header length");
  }

  @Test
  void rejectsHeaderThatIsNotAJsonObject() throws IOException {
    assertMentions(rejects(raw("j.safetensors", "[1,2]   ", new byte[0])), "j.safetensors", "JSON object");
    assertMentions(rejects(raw("k.safetensors", "{\"a\": ", new byte[0])), "k.safetensors", "not valid JSON");
    assertMentions(rejects(raw("d.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1))), "d.safetensors");
  }

  @Test
  void rejectsUnknownAndUnsupportedDtypes() throws IOException {
    assertMentions(rejects(raw("u.safetensors",
        "{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1))), "u.safetensors", "'w'",
        "unknown dtype");
    assertMentions(rejects(raw("i.safetensors",
        "{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8])), "'w'",
        "unsupported dtype I64");
  }

  @Test
  void rejectsOffsetsOutsideTheFile() throws IOException {
    // a truncated file: the header promises 8 bytes but only 4 follow
    assertMentions(rejects(raw("t.safetensors",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(1))), "t.safetensors", "'w'",
        "outside the data section");
    assertMentions(rejects(raw("r.safetensors",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", f32(1))), "'w'", "invalid data_offsets");
  }

  @Test
  void rejectsShapeBytesMismatch() throws IOException {
    assertMentions(rejects(raw("s.safetensors",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", f32(1, 2))), "s.safetensors", "'w'",
        "needs 12 bytes", "span 8");
  }

  @Test
  void rejectsOverlappingTensors() throws IOException {
    assertMentions(rejects(raw("o.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", f32(1, 2, 3))),
        "o.safetensors", "'b'", "overlap", "'a'");
  }

  @Test
  void rejectsHolesAndTrailingBytes() throws IOException {
    assertMentions(rejects(raw("g.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", f32(1, 2))), "g.safetensors",
        "unused bytes before tensor 'a'");
    assertMentions(rejects(raw("x.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1, 2))), "x.safetensors",
        "trailing");
  }

  @Test
  void rejectsMalformedEntries() throws IOException {
    assertMentions(rejects(raw("m.safetensors", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", f32(1))),
        "'a'", "missing shape");
    assertMentions(rejects(raw("n.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", f32(1))), "'a'", "invalid shape");
    assertMentions(rejects(raw("p.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32(1))), "'a'",
        "data_offsets");
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
    assertArrayEquals(B, t.get("b").toFloatArray());

    // the same weights as one file have the same fingerprint
    Path single = Files.createDirectory(dir.resolve("single"));
    SafetensorsWriter.write(single.resolve(SafetensorsReader.SINGLE_FILE),
        List.of(SafetensorsWriter.f32("a", new long[] {6}, A), SafetensorsWriter.f32("b", new long[] {2}, B)), null);
    assertEquals(WeightsFingerprint.compute(t), WeightsFingerprint.compute(SafetensorsReader.readCheckpoint(single)));

    // index naming a tensor its shard lacks
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{"
        + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00001-of-00002.safetensors\"}}");
    SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
        () -> SafetensorsReader.readCheckpoint(dir));
    assertMentions(e, "model-00001-of-00002.safetensors", "'b'", "not in this shard");
    // shard holding a tensor the index does not list
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{"
        + "\"b\":\"model-00002-of-00002.safetensors\",\"a\":\"model-00002-of-00002.safetensors\"}}");
    assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.readCheckpoint(dir));
    // missing shard file and path escapes
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{\"a\":\"nope.safetensors\"}}");
    assertThrows(NoSuchFileException.class, () -> SafetensorsReader.readCheckpoint(dir));
    Files.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
    assertMentions(assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.readCheckpoint(dir)),
        "invalid shard file name");
  }

  @Test
  void emptyDirectoryIsAClearError() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafetensorsReader.readCheckpoint(dir));
    assertTrue(e.getMessage().contains("model.safetensors"));
  }
}
