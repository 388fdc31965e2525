package io.promptune.trainer.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The content-addressed form of a dataset: both splits as canonical JSON lines (keys sorted, every value a string,
 * no spaces, UTF-8), and its id = sha256 over
 * {@code "promptune-dataset-v1\n" + "train <n>\n" + lines + "validation <m>\n" + lines}. The same records in the
 * same splits give the same id whatever file format, column order or JSON spacing they came in.
 */
public record CanonicalDataset(String id, List<String> fields, List<DataRecord> train, List<DataRecord> validation) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Default share of TRAIN held out for validation when no VALIDATION split is uploaded. */
  public static final double DEFAULT_VALIDATION_FRACTION = 0.1;

  /**
   * @param validation the uploaded validation split, or null to carve one out of train by {@code fraction}
   * @param fraction   the proto's validation_fraction: 0 means 0.1, negative means no validation split
   */
  public static CanonicalDataset of(List<String> fields, List<DataRecord> train, List<DataRecord> validation,
      double fraction) {
    List<DataRecord> tr = train;
    List<DataRecord> va = validation == null ? List.of() : validation;
    if (validation == null && fraction >= 0) {
      double f = fraction == 0 ? DEFAULT_VALIDATION_FRACTION : fraction;
      List<List<DataRecord>> parts = holdOut(train, f);
      tr = parts.get(0);
      va = parts.get(1);
    }
    return new CanonicalDataset(computeId(tr, va), List.copyOf(fields), List.copyOf(tr), List.copyOf(va));
  }

  /**
   * Deterministic by content: records are ranked by the sha256 of their canonical line (ties by position) and
   * the round(n * f) lowest go to validation (at least one when f &gt; 0 and n &gt;= 2; at least one record stays
   * in train). Both parts keep the file order.
   */
  static List<List<DataRecord>> holdOut(List<DataRecord> records, double f) {
    int n = records.size();
    int k = (int) Math.round(n * f);
    if (f > 0 && k == 0 && n >= 2) {
      k = 1;
    }
    k = Math.min(k, n - 1);
    if (k <= 0) {
      return List.of(records, List.of());
    }
    record Ranked(byte[] hash, int index) {}
    List<Ranked> ranked = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ranked.add(new Ranked(sha256(canonicalLine(records.get(i))), i));
    }
    ranked.sort((a, b) -> {
      int c = Arrays.compareUnsigned(a.hash(), b.hash());
      return c != 0 ? c : Integer.compare(a.index(), b.index());
    });
    boolean[] held = new boolean[n];
    for (int i = 0; i < k; i++) {
      held[ranked.get(i).index()] = true;
    }
    List<DataRecord> tr = new ArrayList<>(n - k);
    List<DataRecord> va = new ArrayList<>(k);
    for (int i = 0; i < n; i++) {
      (held[i] ? va : tr).add(records.get(i));
    }
    return List.of(tr, va);
  }

  public static String canonicalLine(DataRecord r) {
    try {
      return JSON.writeValueAsString(r.fields()); // a SortedMap: keys in order
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The split as canonical JSON lines, each ending in '\n'. */
  public static byte[] canonicalBytes(List<DataRecord> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (DataRecord r : records) {
      out.writeBytes(canonicalLine(r).getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    }
    return out.toByteArray();
  }

  static String computeId(List<DataRecord> train, List<DataRecord> validation) {
    MessageDigest md = digest();
    md.update("promptune-dataset-v1\n".getBytes(StandardCharsets.UTF_8));
    md.update(("train " + train.size() + "\n").getBytes(StandardCharsets.UTF_8));
    md.update(canonicalBytes(train));
    md.update(("validation " + validation.size() + "\n").getBytes(StandardCharsets.UTF_8));
    md.update(canonicalBytes(validation));
    return HexFormat.of().formatHex(md.digest());
  }

  /** Reads canonical JSON lines back (as stored in the database). */
  public static List<DataRecord> parseCanonical(byte[] bytes) {
    List<DataRecord> out = new ArrayList<>();
    String text = new String(bytes, StandardCharsets.UTF_8);
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      String line = text.substring(start, end < 0 ? text.length() : end);
      start = end < 0 ? text.length() : end + 1;
      try {
        java.util.TreeMap<String, String> m = JSON.readValue(line,
            new com.fasterxml.jackson.core.type.TypeReference<java.util.TreeMap<String, String>>() {});
        out.add(new DataRecord(m));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("stored dataset is corrupt: " + e.getOriginalMessage(), e);
      }
    }
    return out;
  }

  private static byte[] sha256(String s) {
    return digest().digest(s.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
