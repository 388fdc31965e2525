package io.promptune.common.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A strict reader of the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON mapping tensor names to {@code dtype}, {@code shape} and
 * {@code data_offsets} (relative to the data section that follows the header), plus an optional
 * {@code __metadata__} object of strings, then the data.
 *
 * <p>Every inconsistency is rejected with a {@link SafetensorsFormatException} naming the file and tensor: a header
 * length that does not fit the file, a header that is not a JSON object, duplicate keys, unknown fields, an
 * unknown dtype, offsets outside the data section, a shape whose byte size differs from its offsets, overlapping
 * tensors, holes between tensors or trailing bytes (the data section must be covered exactly, as the reference
 * implementation requires).
 *
 * <p>Two ways in: {@link #read(byte[], String)} parses a small file held in memory and hands out the raw bytes of
 * each tensor (any dtype); {@link #readFile(Path)} and {@link #readCheckpoint(Path)} load F32, F16 and BF16 tensors
 * of checkpoints on disk as float32 in direct buffers. Sharded checkpoints ({@code model.safetensors.index.json}
 * with a {@code weight_map}) are read shard by shard; every tensor must be in the shard the index names, and
 * every tensor of a shard must be listed.
 */
public final class SafetensorsReader {

  /** The reference implementation's limit on the header size. */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** What {@link #readFile} can turn into float32, with bytes per element. */
  private static final Map<String, Integer> FLOAT_DTYPES = Map.of("F32", 4, "F16", 2, "BF16", 2);

  private SafetensorsReader() {}

  /** One header entry; {@code begin}/{@code end} are offsets into the data section. */
  public record Entry(String name, String dtype, List<Long> shape, long begin, long end) {
    public long byteLength() {
      return end - begin;
    }

    public long[] dims() {
      return shape.stream().mapToLong(Long::longValue).toArray();
    }
  }

  /** A parsed and validated header: the entries in file order and where the data section starts. */
  public record Header(List<Entry> entries, Map<String, String> metadata, long dataStart, long dataLength) {}

  /** A file parsed in memory. */
  public record Contents(Header header, byte[] file) {

    /** The tensors by name, in file order. */
    public Map<String, Entry> tensors() {
      Map<String, Entry> out = new LinkedHashMap<>();
      header.entries().forEach(e -> out.put(e.name(), e));
      return out;
    }

    public Map<String, String> metadata() {
      return header.metadata();
    }

    /** The bytes of one tensor, as stored (little-endian, its file dtype). */
    public byte[] bytes(Entry e) {
      int from = Math.toIntExact(header.dataStart() + e.begin());
      return Arrays.copyOfRange(file, from, Math.toIntExact(from + e.byteLength()));
    }
  }

  /** Parses a whole file held in memory; {@code fileName} starts every error message. */
  public static Contents read(byte[] file, String fileName) throws SafetensorsFormatException {
    if (file.length < 8) {
      throw SafetensorsHeader.tooShort(fileName, file.length);
    }
    long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    int length = SafetensorsHeader.checkLength(fileName, n, file.length, MAX_HEADER_BYTES);
    return new Contents(SafetensorsHeader.parse(fileName, ByteBuffer.wrap(file, 8, length), file.length), file);
  }

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
    String index = indexFile.toString();
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(indexFile));
    } catch (IOException e) {
      throw new SafetensorsFormatException(index, "shard index is not valid JSON: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject() || map.isEmpty()) {
      throw new SafetensorsFormatException(index, "shard index has no 'weight_map' object");
    }
    Map<String, List<String>> byShard = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      if (!e.getValue().isTextual()) {
        throw new SafetensorsFormatException(index, "weight_map entry for tensor '" + e.getKey()
            + "' is not a file name");
      }
      String shard = e.getValue().asText();
      if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..")
          || shard.equals(".")) {
        throw new SafetensorsFormatException(index, "tensor '" + e.getKey() + "' maps to an invalid shard file name '"
            + shard + "'");
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
          throw new SafetensorsFormatException(file.toString(), "tensor '" + name + "' is listed in "
              + indexFile.getFileName() + " but not in this shard");
        }
      }
      for (Map.Entry<String, TensorData> t : tensors.entrySet()) {
        if (!shard.getValue().contains(t.getKey())) {
          throw new SafetensorsFormatException(file.toString(), "tensor '" + t.getKey() + "' is not listed for this "
              + "shard in " + indexFile.getFileName());
        }
        if (out.put(t.getKey(), t.getValue()) != null) {
          throw new SafetensorsFormatException(file.toString(), "tensor '" + t.getKey() + "' appears in two shards");
        }
      }
    }
    return out;
  }

  /** Reads every tensor of one file as float32, in header order. F32, F16 and BF16 only. */
  public static Map<String, TensorData> readFile(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Header header = readHeader(file, ch);
      for (Entry e : header.entries()) {
        checkFloat(file, e);
      }
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
      throw SafetensorsHeader.tooShort(file.toString(), size);
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0, file, "header length");
    int n = SafetensorsHeader.checkLength(file.toString(), lenBuf.getLong(0), size, MAX_HEADER_BYTES);
    ByteBuffer json = ByteBuffer.allocate(n);
    readFully(ch, json, 8, file, "header");
    return SafetensorsHeader.parse(file.toString(), json.flip(), size);
  }

  private static void checkFloat(Path file, Entry e) throws SafetensorsFormatException {
    String where = "tensor '" + e.name() + "'";
    Integer elementBytes = FLOAT_DTYPES.get(e.dtype());
    if (elementBytes == null) {
      throw new SafetensorsFormatException(file.toString(), where + ": unsupported dtype " + e.dtype()
          + " (supported: F32, F16, BF16)");
    }
    if (e.byteLength() / elementBytes * 4L > Integer.MAX_VALUE - 8) {
      throw new SafetensorsFormatException(file.toString(), where + ": tensor of " + e.byteLength() / elementBytes
          + " elements is too large (max 2 GiB as float32)");
    }
  }

  private static TensorData readTensor(Path file, FileChannel ch, Header header, Entry e) throws IOException {
    int n = Math.toIntExact(e.byteLength());
    long pos = header.dataStart() + e.begin();
    ByteBuffer out;
    if (e.dtype().equals("F32")) {
      out = ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, out, pos, file, "tensor '" + e.name() + "'");
    } else { // F16 or BF16, see checkFloat
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
    out.rewind();
    return new TensorData(e.name(), e.dims(), out, e.dtype(), file);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file, String what) throws IOException {
    long p = pos;
    while (buf.hasRemaining()) {
      int r = ch.read(buf, p);
      if (r < 0) {
        throw new SafetensorsFormatException(file.toString(), "unexpected end of file while reading " + what);
      }
      p += r;
    }
  }
}
