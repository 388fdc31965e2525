package io.promptune.registry.peft;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptune.registry.domain.RegistryException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A strict reader and a writer for the safetensors format: an 8-byte little-endian header length N, N bytes of
 * JSON header ({name: {dtype, shape, data_offsets: [begin, end]}}, plus an optional "__metadata__" map of
 * strings), then the data section. Offsets are relative to the data section, and the tensors must cover it
 * exactly: no gaps, no overlaps, nothing after the last one. Anything else is MALFORMED_FILE naming the file and
 * the defect.
 */
public final class Safetensors {

  /** Far more than any prompt adapter's header needs; refuses absurd lengths before allocating anything. */
  public static final int MAX_HEADER_BYTES = 1 << 20;

  private static final String METADATA = "__metadata__";
  private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");
  private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(Map.entry("BOOL", 1), Map.entry("U8", 1),
      Map.entry("I8", 1), Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1), Map.entry("I16", 2),
      Map.entry("U16", 2), Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4),
      Map.entry("F32", 4), Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("F64", 8));

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One tensor of a file; {@code begin}/{@code end} are offsets into the data section. */
  public record Entry(String name, String dtype, List<Long> shape, long begin, long end) {}

  /** A parsed file. */
  public record Contents(Map<String, Entry> tensors, Map<String, String> metadata, byte[] file, int dataStart) {

    /** The bytes of one tensor. */
    public byte[] bytes(Entry e) {
      return Arrays.copyOfRange(file, dataStart + (int) e.begin(), dataStart + (int) e.end());
    }
  }

  /** One tensor to write. */
  public record Tensor(String name, String dtype, List<Long> shape, byte[] data) {}

  private Safetensors() {}

  /** Parses {@code file}; {@code fileName} prefixes every error message. */
  public static Contents read(byte[] file, String fileName) {
    if (file.length < 8) {
      throw bad(fileName, "the file is " + file.length + " bytes; a safetensors file starts with an 8-byte header "
          + "length");
    }
    long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw bad(fileName, "header length " + Long.toUnsignedString(headerLength) + " is over the "
          + MAX_HEADER_BYTES + " bytes this reader accepts; the file is not safetensors or is corrupt");
    }
    if (headerLength > file.length - 8L) {
      throw bad(fileName, "header length " + headerLength + " runs past the end of the file (" + file.length
          + " bytes)");
    }
    int dataStart = 8 + (int) headerLength;
    JsonNode root = parseHeader(file, (int) headerLength, fileName);
    long dataLength = file.length - (long) dataStart;

    Map<String, Entry> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      if (field.getKey().equals(METADATA)) {
        readMetadata(field.getValue(), metadata, fileName);
      } else {
        tensors.put(field.getKey(), readEntry(field.getKey(), field.getValue(), dataLength, fileName));
      }
    }
    checkCoverage(tensors, dataLength, fileName);
    return new Contents(tensors, metadata, file, dataStart);
  }

  /** A file holding {@code tensors} (in this order) and {@code metadata}. */
  public static byte[] write(List<Tensor> tensors, Map<String, String> metadata) {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject(METADATA);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Tensor t : tensors) {
      ObjectNode entry = header.putObject(t.name());
      entry.put("dtype", t.dtype());
      ArrayNode shape = entry.putArray("shape");
      t.shape().forEach(shape::add);
      entry.putArray("data_offsets").add(offset).add(offset + t.data().length);
      offset += t.data().length;
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a header of strings and numbers always serialises", e);
    }
    // Pad the header with spaces so the data section starts 8-byte aligned, as the reference writer does.
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    tensors.forEach(t -> out.put(t.data()));
    return out.array();
  }

  private static JsonNode parseHeader(byte[] file, int length, String fileName) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(file, 8, length)).toString();
    } catch (CharacterCodingException e) {
      throw bad(fileName, "the header is not UTF-8 text");
    }
    if (!text.startsWith("{")) {
      throw bad(fileName, "the header is not a JSON object (it must start with '{')");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw bad(fileName, "the header is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw bad(fileName, "the header is not a JSON object");
    }
    return root;
  }

  private static void readMetadata(JsonNode node, Map<String, String> into, String fileName) {
    if (!node.isObject()) {
      throw bad(fileName, "__metadata__ must be an object of strings");
    }
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      if (!f.getValue().isTextual()) {
        throw bad(fileName, "__metadata__['" + f.getKey() + "'] must be a string");
      }
      into.put(f.getKey(), f.getValue().textValue());
    }
  }

  private static Entry readEntry(String name, JsonNode node, long dataLength, String fileName) {
    String where = "tensor '" + name + "'";
    if (!node.isObject()) {
      throw bad(fileName, where + " must be an object with dtype, shape and data_offsets");
    }
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      if (!ENTRY_KEYS.contains(f.getKey())) {
        throw bad(fileName, where + " has an unknown field '" + f.getKey() + "'");
      }
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw bad(fileName, where + ": dtype must be a string such as \"F32\"");
    }
    String dtype = dtypeNode.textValue();
    Integer elementBytes = DTYPE_BYTES.get(dtype);
    if (elementBytes == null) {
      throw bad(fileName, where + ": unknown dtype '" + dtype + "'");
    }
    List<Long> shape = longs(node.get("shape"), -1, where + ": shape", fileName);
    List<Long> offsets = longs(node.get("data_offsets"), 2, where + ": data_offsets", fileName);
    long begin = offsets.get(0);
    long end = offsets.get(1);
    if (begin > end || end > dataLength) {
      throw bad(fileName, where + ": data_offsets [" + begin + ", " + end + "] lie outside the data section ("
          + dataLength + " bytes)");
    }
    long expected;
    try {
      expected = elementBytes;
      for (long d : shape) {
        expected = Math.multiplyExact(expected, d);
      }
    } catch (ArithmeticException e) {
      throw bad(fileName, where + ": shape " + shape + " is too large");
    }
    if (end - begin != expected) {
      throw bad(fileName, where + ": shape " + shape + " of " + dtype + " needs " + expected + " bytes but "
          + "data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
    }
    return new Entry(name, dtype, List.copyOf(shape), begin, end);
  }

  /** A JSON array of non-negative integers, of {@code size} elements when size >= 0. */
  private static List<Long> longs(JsonNode node, int size, String what, String fileName) {
    if (node == null || !node.isArray() || (size >= 0 && node.size() != size)) {
      throw bad(fileName, what + " must be an array of " + (size >= 0 ? size + " " : "") + "non-negative "
          + "integers");
    }
    List<Long> out = new ArrayList<>();
    for (JsonNode n : node) {
      if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
        throw bad(fileName, what + " must hold non-negative integers, got " + n);
      }
      out.add(n.longValue());
    }
    return out;
  }

  /** The tensors must tile the data section exactly: from 0, back to back, to the last byte. */
  private static void checkCoverage(Map<String, Entry> tensors, long dataLength, String fileName) {
    List<Entry> sorted = tensors.values().stream()
        .sorted(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end)).toList();
    long cursor = 0;
    Entry previous = null;
    for (Entry e : sorted) {
      if (e.begin() < cursor) {
        throw bad(fileName, "tensors '" + previous.name() + "' and '" + e.name() + "' overlap");
      }
      if (e.begin() > cursor) {
        throw bad(fileName, "bytes [" + cursor + ", " + e.begin() + ") of the data section belong to no tensor");
      }
      cursor = e.end();
      previous = e;
    }
    if (cursor != dataLength) {
      throw bad(fileName, (dataLength - cursor) + " trailing bytes follow the last tensor's data");
    }
  }

  private static RegistryException bad(String fileName, String message) {
    return RegistryException.malformed(fileName, message);
  }
}
