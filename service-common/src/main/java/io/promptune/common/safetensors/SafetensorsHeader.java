package io.promptune.common.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptune.common.safetensors.SafetensorsReader.Entry;
import io.promptune.common.safetensors.SafetensorsReader.Header;
import io.promptune.common.safetensors.SafetensorsWriter.RawTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The header of a safetensors file, parsed strictly and written as Hugging Face's writer does. Shared by the file
 * reader (checkpoints), the in-memory reader (adapters) and the writer.
 */
final class SafetensorsHeader {

  static final String METADATA = "__metadata__";
  private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");
  /** Bits per element of every dtype the format defines. */
  private static final Map<String, Integer> DTYPE_BITS = Map.ofEntries(Map.entry("BOOL", 8), Map.entry("F4", 4),
      Map.entry("F6_E2M3", 6), Map.entry("F6_E3M2", 6), Map.entry("U8", 8), Map.entry("I8", 8),
      Map.entry("F8_E5M2", 8), Map.entry("F8_E4M3", 8), Map.entry("F8_E8M0", 8), Map.entry("I16", 16),
      Map.entry("U16", 16), Map.entry("F16", 16), Map.entry("BF16", 16), Map.entry("I32", 32),
      Map.entry("U32", 32), Map.entry("F32", 32), Map.entry("C64", 64), Map.entry("F64", 64),
      Map.entry("I64", 64), Map.entry("U64", 64));

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private SafetensorsHeader() {}

  /** Checks the 8-byte header length {@code n} of a file of {@code fileSize} bytes. */
  static int checkLength(String file, long n, long fileSize, long maxHeaderBytes) throws SafetensorsFormatException {
    if (n < 0 || n > maxHeaderBytes) {
      throw new SafetensorsFormatException(file, "header length " + Long.toUnsignedString(n) + " exceeds the "
          + maxHeaderBytes + "-byte limit; not a safetensors file or corrupt");
    }
    if (n > fileSize - 8) {
      throw new SafetensorsFormatException(file, "header length " + n + " runs past the end of the file ("
          + fileSize + " bytes); not a safetensors file or truncated");
    }
    return (int) n;
  }

  static SafetensorsFormatException tooShort(String file, long size) {
    return new SafetensorsFormatException(file, "file is " + size + " bytes, too short for the 8-byte header length");
  }

  /** Parses and validates the header held in {@code json} of a file of {@code fileSize} bytes. */
  static Header parse(String file, ByteBuffer json, long fileSize) throws SafetensorsFormatException {
    long dataStart = 8L + json.remaining();
    long dataLength = fileSize - dataStart;
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(json).toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsFormatException(file, "header is not valid UTF-8", e);
    }
    if (!text.startsWith("{")) {
      throw new SafetensorsFormatException(file, "header is not a JSON object (it must start with '{')");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new SafetensorsFormatException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsFormatException(file, "header is not a JSON object");
    }
    List<Entry> entries = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      if (field.getKey().equals(METADATA)) {
        readMetadata(file, field.getValue(), metadata);
      } else {
        entries.add(readEntry(file, field.getKey(), field.getValue(), dataLength));
      }
    }
    checkCoverage(file, entries, dataLength);
    return new Header(List.copyOf(entries), Map.copyOf(metadata), dataStart, dataLength);
  }

  private static void readMetadata(String file, JsonNode node, Map<String, String> into)
      throws SafetensorsFormatException {
    if (!node.isObject()) {
      throw new SafetensorsFormatException(file, METADATA + " must be an object of strings");
    }
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      if (!f.getValue().isTextual()) {
        throw new SafetensorsFormatException(file, METADATA + "['" + f.getKey() + "'] must be a string");
      }
      into.put(f.getKey(), f.getValue().textValue());
    }
  }

  private static Entry readEntry(String file, String name, JsonNode node, long dataLength)
      throws SafetensorsFormatException {
    String where = "tensor '" + name + "'";
    if (!node.isObject()) {
      throw new SafetensorsFormatException(file, where + " must be an object with dtype, shape and data_offsets");
    }
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      if (!ENTRY_KEYS.contains(f.getKey())) {
        throw new SafetensorsFormatException(file, where + " has an unknown field '" + f.getKey() + "'");
      }
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new SafetensorsFormatException(file, where + ": dtype must be a string such as \"F32\"");
    }
    String dtype = dtypeNode.textValue();
    Integer bits = DTYPE_BITS.get(dtype);
    if (bits == null) {
      throw new SafetensorsFormatException(file, where + ": unknown dtype '" + dtype + "'");
    }
    List<Long> shape = longs(file, node.get("shape"), -1, where + ": shape");
    List<Long> offsets = longs(file, node.get("data_offsets"), 2, where + ": data_offsets");
    long begin = offsets.get(0);
    long end = offsets.get(1);
    if (begin > end) {
      throw new SafetensorsFormatException(file, where + ": invalid data_offsets [" + begin + ", " + end
          + "]: the begin is after the end");
    }
    if (end > dataLength) {
      throw new SafetensorsFormatException(file, where + ": data_offsets [" + begin + ", " + end + "] lie outside "
          + "the data section (" + dataLength + " bytes); the file is truncated or the offsets are wrong");
    }
    long totalBits;
    try {
      totalBits = bits;
      for (long d : shape) {
        totalBits = Math.multiplyExact(totalBits, d);
      }
    } catch (ArithmeticException e) {
      throw new SafetensorsFormatException(file, where + ": shape " + shape + " is too large");
    }
    if (totalBits % 8 != 0) {
      throw new SafetensorsFormatException(file, where + ": shape " + shape + " of " + dtype
          + " does not fill whole bytes");
    }
    if (end - begin != totalBits / 8) {
      throw new SafetensorsFormatException(file, where + ": shape " + shape + " of " + dtype + " needs "
          + totalBits / 8 + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
    }
    return new Entry(name, dtype, List.copyOf(shape), begin, end);
  }

  /** A JSON array of non-negative integers, of {@code size} elements when size >= 0. */
  private static List<Long> longs(String file, JsonNode node, int size, String what)
      throws SafetensorsFormatException {
    if (node == null || !node.isArray() || (size >= 0 && node.size() != size)) {
      throw new SafetensorsFormatException(file, what + " must be an array of " + (size >= 0 ? size + " " : "")
          + "non-negative integers");
    }
    List<Long> out = new ArrayList<>();
    for (JsonNode n : node) {
      if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
        throw new SafetensorsFormatException(file, what + " must hold non-negative integers, got " + n);
      }
      out.add(n.longValue());
    }
    return out;
  }

  /** The tensors must tile the data section exactly: from 0, back to back, to the last byte. */
  private static void checkCoverage(String file, List<Entry> entries, long dataLength)
      throws SafetensorsFormatException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long cursor = 0;
    Entry prev = null;
    for (Entry e : sorted) {
      if (e.begin() < cursor) {
        throw new SafetensorsFormatException(file, "tensor '" + e.name() + "' data_offsets [" + e.begin() + ", "
            + e.end() + "] overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
      }
      if (e.begin() > cursor) {
        throw new SafetensorsFormatException(file, "bytes [" + cursor + ", " + e.begin() + ") of the data section "
            + "before tensor '" + e.name() + "' belong to no tensor; the tensors must cover it exactly");
      }
      cursor = e.end();
      prev = e;
    }
    if (cursor != dataLength) {
      throw new SafetensorsFormatException(file, (dataLength - cursor) + " trailing bytes follow the last tensor's "
          + "data (the data section has " + dataLength + " bytes, the tensors cover " + cursor + ")");
    }
  }

  /** The header of a file holding {@code sorted} (in this order): length, JSON, spaces to a multiple of 8. */
  static ByteBuffer write(List<RawTensor> sorted, Map<String, String> metadata) {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode m = header.putObject(METADATA);
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
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a header of strings and numbers always serialises", e);
    }
    // Pad with spaces so that the data section starts 8-byte aligned, as the reference writer does.
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    return head.flip();
  }
}
