package io.promptune.runtime.load;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A strict reader of the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON mapping tensor names to {@code dtype}, {@code shape} and
 * {@code data_offsets} (relative to the data section that follows the header), then the data.
 *
 * <p>F32, F16 and BF16 tensors are loaded as float32. The optional {@code __metadata__} entry is skipped. Every
 * inconsistency is rejected with a message naming the file and tensor: a header length that does not fit the file,
 * a header that is not a JSON object, an unknown or unsupported dtype, offsets outside the data section, a shape
 * whose byte size differs from its offsets, overlapping tensors, holes between tensors or trailing bytes
 * (the data section must be covered exactly, as the reference implementation requires).
 *
 * <p>Sharded checkpoints ({@code model.safetensors.index.json} with a {@code weight_map}) are read shard by shard;
 * every tensor must be in the shard the index names, and every tensor of a shard must be listed.
 */
public final class SafetensorsReader {

  /** The reference implementation's limit on the header size. */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private static final Map<String, Integer> SUPPORTED = Map.of("F32", 4, "F16", 2, "BF16", 2);
  private static final Set<String> KNOWN_UNSUPPORTED = Set.of("F64", "I64", "I32", "I16", "I8", "U8", "U16",
      "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64", "E8M0");

  private SafetensorsReader() {}

  /** One header entry. */
  public record Entry(String name, String dtype, long[] shape, long begin, long end) {
    public long byteLength() {
      return end - begin;
    }
  }

  /** A parsed and validated header: the entries in file order and where the data section starts. */
  public record Header(Path file, List<Entry> entries, Map<String, String> metadata, long dataStart, long dataLength) {}

  /**
   * Reads a checkpoint directory: {@code model.safetensors}, else the shards listed by
   * {@code model.safetensors.index.json}. Returns tensors sorted by name.
   */
  public static SortedMap<String, TensorData> readCheckpoint(Path dir) throws IOException {
    Path single = dir.resolve(SINGLE_FILE);
    if (Files.isRegularFile(single)) {
      return new TreeMap<>(readFile(single));
    }
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return readSharded(index);
    }
    if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
      throw new NoSuchFileException(dir.toString(), null,
          "checkpoint has only PyTorch pickle weights (pytorch_model.bin); only safetensors is supported. "
              + "Convert it, e.g. model.save_pretrained(dir, safe_serialization=True)");
    }
    throw new NoSuchFileException(dir.toString(), null,
        "checkpoint directory has neither " + SINGLE_FILE + " nor " + INDEX_FILE);
  }

  /** Reads a sharded checkpoint from its index file. */
  public static SortedMap<String, TensorData> readSharded(Path indexFile) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(indexFile));
    } catch (IOException e) {
      throw new SafetensorsFormatException(indexFile + ": shard index is not valid JSON: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject() || map.isEmpty()) {
      throw new SafetensorsFormatException(indexFile + ": shard index has no 'weight_map' object");
    }
    Map<String, List<String>> byShard = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new SafetensorsFormatException(
            indexFile + ": weight_map entry for tensor '" + e.getKey() + "' is not a file name");
      }
      String shard = e.getValue().asText();
      if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..")
          || shard.equals(".")) {
        throw new SafetensorsFormatException(
            indexFile + ": tensor '" + e.getKey() + "' maps to an invalid shard file name '" + shard + "'");
      }
      byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
    }
    Path dir = indexFile.toAbsolutePath().getParent();
    SortedMap<String, TensorData> out = new TreeMap<>();
    for (Map.Entry<String, List<String>> shard : byShard.entrySet()) {
      Path file = dir.resolve(shard.getKey());
      if (!Files.isRegularFile(file)) {
        throw new NoSuchFileException(file.toString(), null,
            "shard listed in " + indexFile.getFileName() + " (e.g. for tensor '" + shard.getValue().get(0)
                + "') is missing");
      }
      Map<String, TensorData> tensors = readFile(file);
      for (String name : shard.getValue()) {
        if (!tensors.containsKey(name)) {
          throw new SafetensorsFormatException(
              file + ": tensor '" + name + "' is listed in " + indexFile.getFileName() + " but not in this shard");
        }
      }
      for (Map.Entry<String, TensorData> t : tensors.entrySet()) {
        if (!shard.getValue().contains(t.getKey())) {
          throw new SafetensorsFormatException(file + ": tensor '" + t.getKey() + "' is not listed for this shard in "
              + indexFile.getFileName());
        }
        if (out.put(t.getKey(), t.getValue()) != null) {
          throw new SafetensorsFormatException(file + ": tensor '" + t.getKey() + "' appears in two shards");
        }
      }
    }
    return out;
  }

  /** Reads every tensor of one file as float32, in header order. */
  public static Map<String, TensorData> readFile(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Header header = readHeader(file, ch);
      Map<String, TensorData> out = new LinkedHashMap<>();
      for (Entry e : header.entries()) {
        out.put(e.name(), readTensor(file, ch, header, e));
      }
      return out;
    }
  }

  /** Parses and validates the header only. */
  public static Header readHeader(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return readHeader(file, ch);
    }
  }

  private static Header readHeader(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new SafetensorsFormatException(
          file + ": file is " + size + " bytes, too short for the 8-byte safetensors header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0, file, "header length");
    long n = lenBuf.getLong(0);
    if (n <= 0 || n > size - 8) {
      throw new SafetensorsFormatException(file + ": header length " + Long.toUnsignedString(n)
          + " does not fit the file (" + size + " bytes); not a safetensors file or truncated");
    }
    if (n > MAX_HEADER_BYTES) {
      throw new SafetensorsFormatException(
          file + ": header length " + n + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) n);
    readFully(ch, hb, 8, file, "header");
    hb.flip();
    String text;
    try {
      CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb);
      text = cb.toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsFormatException(file + ": header is not valid UTF-8", e);
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (IOException e) {
      throw new SafetensorsFormatException(file + ": header is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsFormatException(file + ": header must be a JSON object");
    }
    long dataStart = 8 + n;
    long dataLength = size - dataStart;
    List<Entry> entries = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey();
      JsonNode v = f.getValue();
      if (name.equals("__metadata__")) {
        if (!v.isObject()) {
          throw new SafetensorsFormatException(file + ": __metadata__ must be an object of strings");
        }
        v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      entries.add(parseEntry(file, name, v, dataLength));
    }
    checkLayout(file, entries, dataLength);
    return new Header(file, List.copyOf(entries), Map.copyOf(metadata), dataStart, dataLength);
  }

  private static Entry parseEntry(Path file, String name, JsonNode v, long dataLength)
      throws SafetensorsFormatException {
    String where = file + ": tensor '" + name + "'";
    if (!v.isObject()) {
      throw new SafetensorsFormatException(where + ": header entry must be an object");
    }
    JsonNode dt = v.get("dtype");
    if (dt == null || !dt.isTextual()) {
      throw new SafetensorsFormatException(where + ": missing dtype");
    }
    String dtype = dt.asText();
    Integer elem = SUPPORTED.get(dtype);
    if (elem == null) {
      if (KNOWN_UNSUPPORTED.contains(dtype)) {
        throw new SafetensorsFormatException(
            where + ": unsupported dtype " + dtype + " (supported: F32, F16, BF16)");
      }
      throw new SafetensorsFormatException(where + ": unknown dtype '" + dtype + "'");
    }
    JsonNode sh = v.get("shape");
    if (sh == null || !sh.isArray()) {
      throw new SafetensorsFormatException(where + ": missing shape");
    }
    long[] shape = new long[sh.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = sh.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new SafetensorsFormatException(where + ": invalid shape " + sh);
      }
      shape[i] = d.asLong();
    }
    JsonNode off = v.get("data_offsets");
    if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber()
        || !off.get(1).isIntegralNumber() || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
      throw new SafetensorsFormatException(where + ": data_offsets must be [begin, end]");
    }
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw new SafetensorsFormatException(where + ": invalid data_offsets [" + begin + ", " + end + "]");
    }
    if (end > dataLength) {
      throw new SafetensorsFormatException(where + ": data_offsets [" + begin + ", " + end
          + "] lie outside the data section (" + dataLength + " bytes); the file is truncated or the offsets are wrong");
    }
    long elems;
    try {
      elems = TensorData.numElements(shape);
      long bytes = Math.multiplyExact(elems, elem);
      if (bytes != end - begin) {
        throw new SafetensorsFormatException(where + ": shape " + Arrays.toString(shape) + " of dtype " + dtype
            + " needs " + bytes + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
      }
      if (Math.multiplyExact(elems, 4L) > Integer.MAX_VALUE - 8) {
        throw new SafetensorsFormatException(where + ": tensor of " + elems + " elements is too large (max 2 GiB as float32)");
      }
    } catch (ArithmeticException e) {
      throw new SafetensorsFormatException(where + ": shape " + Arrays.toString(shape) + " overflows");
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static void checkLayout(Path file, List<Entry> entries, long dataLength) throws SafetensorsFormatException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long cursor = 0;
    Entry prev = null;
    for (Entry e : sorted) {
      if (e.begin() < cursor) {
        throw new SafetensorsFormatException(file + ": tensor '" + e.name() + "' data_offsets [" + e.begin() + ", "
            + e.end() + "] overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
      }
      if (e.begin() > cursor) {
        throw new SafetensorsFormatException(file + ": " + (e.begin() - cursor) + " unused bytes before tensor '"
            + e.name() + "' at data offset " + cursor + "; the data section must be covered exactly");
      }
      cursor = e.end();
      prev = e;
    }
    if (cursor != dataLength) {
      throw new SafetensorsFormatException(file + ": data section has " + dataLength + " bytes but tensors cover "
          + cursor + " (" + (dataLength - cursor) + " trailing bytes)");
    }
  }

  private static TensorData readTensor(Path file, FileChannel ch, Header header, Entry e) throws IOException {
    int n = Math.toIntExact(e.byteLength());
    long pos = header.dataStart() + e.begin();
    ByteBuffer out;
    switch (e.dtype()) {
      case "F32" -> {
        out = ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, out, pos, file, "tensor '" + e.name() + "'");
      }
      case "F16", "BF16" -> {
        ByteBuffer raw = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, raw, pos, file, "tensor '" + e.name() + "'");
        int count = n / 2;
        out = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.LITTLE_ENDIAN);
        boolean bf16 = e.dtype().equals("BF16");
        for (int i = 0; i < count; i++) {
          short bits = raw.getShort(i * 2);
          float f = bf16 ? Float.intBitsToFloat((bits & 0xffff) << 16) : Float.float16ToFloat(bits);
          out.putFloat(i * 4, f);
        }
      }
      default -> throw new SafetensorsFormatException(file + ": tensor '" + e.name() + "': unsupported dtype " + e.dtype());
    }
    out.rewind();
    return new TensorData(e.name(), e.shape(), out, e.dtype(), file);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file, String what) throws IOException {
    long p = pos;
    while (buf.hasRemaining()) {
      int r = ch.read(buf, p);
      if (r < 0) {
        throw new SafetensorsFormatException(file + ": unexpected end of file while reading " + what);
      }
      p += r;
    }
  }
}
