package io.promptune.registry.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.ErrorReason;
import io.promptune.registry.domain.RegistryException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafetensorsTest {

  private static final String FILE = "adapter_model.safetensors";

  /** A file from a header (as given, unpadded) and a data section. */
  static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h)
        .put(data).array();
  }

  static String malformed(byte[] file) {
    RegistryException e = assertThrows(RegistryException.class, () -> Safetensors.read(file, FILE));
    assertEquals(ErrorReason.MALFORMED_FILE, e.reason());
    assertTrue(e.getMessage().startsWith(FILE + ": "), e.getMessage());
    return e.getMessage();
  }

  static void assertContains(String s, String part) {
    assertTrue(s.contains(part), "expected \"" + part + "\" in: " + s);
  }

  @Test
  void writesWhatItReads() {
    byte[] data = new byte[2 * 3 * 4];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    byte[] bytes = Safetensors.write(List.of(new Safetensors.Tensor("prompt_embeddings", "F32", List.of(2L, 3L),
        data)), Map.of("format", "pt"));
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "data section 8-byte aligned");
    Safetensors.Contents c = Safetensors.read(bytes, FILE);
    assertEquals(Map.of("format", "pt"), c.metadata());
    Safetensors.Entry e = c.tensors().get("prompt_embeddings");
    assertEquals("F32", e.dtype());
    assertEquals(List.of(2L, 3L), e.shape());
    assertArrayEquals(data, c.bytes(e));
  }

  @Test
  void readsAHandWrittenFileWithSeveralTensors() {
    byte[] data = new byte[8 + 2];
    String header = "{\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]},"
        + "\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}   ";
    Safetensors.Contents c = Safetensors.read(file(header, data), FILE);
    assertEquals(2, c.tensors().size());
    assertEquals(List.of(), c.tensors().get("a").shape());
  }

  @Test
  void rejectsTooShortFiles() {
    assertContains(malformed(new byte[5]), "8-byte header length");
  }

  @Test
  void rejectsHugeOrNegativeHeaderLengths() {
    byte[] f = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array();
    assertContains(malformed(f), "header length");
    byte[] negative = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array();
    assertContains(malformed(negative), "18446744073709551615");
  }

  @Test
  void rejectsHeaderLengthPastTheEnd() {
    byte[] f = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100).array();
    assertContains(malformed(f), "runs past the end");
  }

  @Test
  void rejectsHeadersThatAreNotJsonObjects() {
    assertContains(malformed(file("{\"a\": ", new byte[0])), "not valid JSON");
    assertContains(malformed(file("[1, 2]", new byte[0])), "JSON object");
    assertContains(malformed(file("{} {}", new byte[0])), "not valid JSON");
    assertContains(malformed(file("", new byte[0])), "JSON object");
    byte[] notUtf8 = file("{\"a\":1}", new byte[0]);
    notUtf8[10] = (byte) 0xff;
    assertContains(malformed(notUtf8), "UTF-8");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])), "not valid JSON");
  }

  @Test
  void rejectsBadEntries() {
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        new byte[4])), "unknown dtype");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
        new byte[4])), "shape");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
        new byte[4])), "shape");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
        new byte[4])), "data_offsets");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4])), "data_offsets");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
        new byte[4])), "unknown field");
    assertContains(malformed(file("{\"t\":[1]}", new byte[4])), "must be an object");
    assertContains(malformed(file("{\"__metadata__\":{\"a\":1}}", new byte[0])), "__metadata__");
  }

  @Test
  void rejectsOffsetsOutsideTheFile() {
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        new byte[4])), "outside the data section");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}",
        new byte[4])), "outside the data section");
  }

  @Test
  void rejectsOffsetsThatDoNotMatchShapeTimesDtype() {
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}",
        new byte[12])), "needs 16 bytes");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
        + "\"data_offsets\":[0,12]}}", new byte[12])), "too large");
  }

  @Test
  void rejectsGapsOverlapsAndTrailingBytes() {
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        new byte[8])), "belong to no tensor");
    assertContains(malformed(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8])), "overlap");
    assertContains(malformed(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        new byte[7])), "3 trailing bytes");
    byte[] good = Safetensors.write(List.of(new Safetensors.Tensor("t", "F32", List.of(1L), new byte[4])),
        Map.of());
    assertContains(malformed(Arrays.copyOf(good, good.length + 1)), "1 trailing bytes");
    assertContains(malformed(Arrays.copyOf(good, good.length - 1)), "outside the data section");
  }
}
