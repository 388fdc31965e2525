package io.promptune.trainer.dataset;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.Split;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns one split's uploaded bytes into records, or fails with the line and the reason.
 *
 * <p>Fields: with a column mapping, exactly the mapped source fields (renamed) are kept and every record must have
 * them. Without one, a CSV/TSV keeps every header column and a JSONL file keeps the keys of its first record, which
 * every later record must have too (extra keys are ignored). A later split must have the first split's fields.
 */
public final class DatasetParser {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Records of one split, and its field names (sorted). */
  public record ParsedSplit(List<String> fields, List<DataRecord> records) {}

  private final DatasetLimits limits;

  public DatasetParser(DatasetLimits limits) {
    this.limits = limits;
  }

  /**
   * @param mapping        source field to field name; empty keeps the fields' own names
   * @param requiredFields the field names the records must end up with (a later split); null to derive them
   * @param recordBudget   records this split may still have under the dataset's limit
   */
  public ParsedSplit parse(DatasetFormat format, byte[] data, SortedMap<String, String> mapping, Split split,
      List<String> requiredFields, int recordBudget) {
    String text = decodeUtf8(data, split);
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      text = text.substring(1);
    }
    if (text.isBlank()) {
      throw new DatasetFormatException(split, 0, "empty file");
    }
    ParsedSplit parsed = switch (format) {
      case JSONL -> parseJsonl(text, mapping, split, requiredFields, recordBudget);
      case CSV -> parseDelimited(text, ',', true, mapping, split, requiredFields, recordBudget);
      case TSV -> parseDelimited(text, '\t', false, mapping, split, requiredFields, recordBudget);
      default -> throw new IllegalArgumentException("format must be JSONL, CSV or TSV");
    };
    if (parsed.records().isEmpty()) {
      throw new DatasetFormatException(split, 0, "empty file: no records");
    }
    return parsed;
  }

  private ParsedSplit parseJsonl(String text, SortedMap<String, String> mapping, Split split,
      List<String> requiredFields, int budget) {
    List<DataRecord> records = new ArrayList<>();
    List<String> sources = null; // source keys every record must have
    if (!mapping.isEmpty()) {
      sources = new ArrayList<>(mapping.keySet());
    } else if (requiredFields != null) {
      sources = requiredFields;
    }
    int lineNo = 0;
    int start = 0;
    while (start <= text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      lineNo++;
      String line = text.substring(start, end);
      start = end + 1;
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (line.isBlank()) {
        if (end == text.length()) {
          break;
        }
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        throw new DatasetFormatException(split, lineNo, "invalid JSON: " + e.getOriginalMessage());
      }
      if (node == null || !node.isObject()) {
        throw new DatasetFormatException(split, lineNo, "expected a JSON object, got "
            + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
      }
      SortedMap<String, String> values = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        if (v.isNull()) {
          continue;
        }
        if (v.isContainerNode()) {
          if (sources == null || sources.contains(e.getKey())) {
            throw new DatasetFormatException(split, lineNo,
                "field \"" + e.getKey() + "\" must be a string, number or boolean");
          }
          continue;
        }
        values.put(e.getKey(), v.asText());
      }
      if (sources == null) {
        if (values.isEmpty()) {
          throw new DatasetFormatException(split, lineNo, "the first record has no fields");
        }
        sources = new ArrayList<>(values.keySet());
      }
      records.add(new DataRecord(select(values, sources, mapping, split, lineNo)));
      checkBudget(records.size(), budget, split, lineNo);
      if (end == text.length()) {
        break;
      }
    }
    List<String> fields = fieldNames(sources, mapping);
    return new ParsedSplit(fields, records);
  }

  private ParsedSplit parseDelimited(String text, char delimiter, boolean quoting, SortedMap<String, String> mapping,
      Split split, List<String> requiredFields, int budget) {
    CsvReader reader = new CsvReader(text, delimiter, quoting, split);
    CsvReader.Row header = reader.next();
    while (header != null && header.blank()) {
      header = reader.next();
    }
    if (header == null) {
      throw new DatasetFormatException(split, 0, "empty file");
    }
    List<String> columns = header.fields();
    Set<String> seen = new HashSet<>();
    for (String c : columns) {
      if (c.isEmpty()) {
        throw new DatasetFormatException(split, header.line(), "empty column name in the header");
      }
      if (!seen.add(c)) {
        throw new DatasetFormatException(split, header.line(), "duplicate column \"" + c + "\" in the header");
      }
    }
    List<String> sources;
    if (!mapping.isEmpty()) {
      sources = new ArrayList<>(mapping.keySet());
    } else if (requiredFields != null) {
      sources = requiredFields;
    } else {
      sources = new ArrayList<>(new java.util.TreeSet<>(columns));
    }
    for (String s : sources) {
      if (!seen.contains(s)) {
        throw new DatasetFormatException(split, header.line(),
            "missing column \"" + s + "\" (header has " + columns + ")");
      }
    }
    List<DataRecord> records = new ArrayList<>();
    for (CsvReader.Row row = reader.next(); row != null; row = reader.next()) {
      if (row.blank()) {
        continue;
      }
      if (row.fields().size() != columns.size()) {
        throw new DatasetFormatException(split, row.line(),
            "expected " + columns.size() + " columns, found " + row.fields().size());
      }
      SortedMap<String, String> values = new TreeMap<>();
      for (int i = 0; i < columns.size(); i++) {
        values.put(columns.get(i), row.fields().get(i));
      }
      records.add(new DataRecord(select(values, sources, mapping, split, row.line())));
      checkBudget(records.size(), budget, split, row.line());
    }
    return new ParsedSplit(fieldNames(sources, mapping), records);
  }

  private static SortedMap<String, String> select(SortedMap<String, String> values, List<String> sources,
      SortedMap<String, String> mapping, Split split, int line) {
    SortedMap<String, String> out = new TreeMap<>();
    for (String s : sources) {
      String v = values.get(s);
      if (v == null) {
        throw new DatasetFormatException(split, line, "missing field \"" + s + "\"");
      }
      out.put(mapping.isEmpty() ? s : mapping.get(s), v);
    }
    return out;
  }

  private static List<String> fieldNames(List<String> sources, SortedMap<String, String> mapping) {
    if (sources == null) {
      return List.of();
    }
    java.util.TreeSet<String> names = new java.util.TreeSet<>();
    for (String s : sources) {
      names.add(mapping.isEmpty() ? s : mapping.get(s));
    }
    return List.copyOf(names);
  }

  private void checkBudget(int count, int budget, Split split, int line) {
    if (count > budget) {
      throw new DatasetFormatException(split, line,
          "too many records: the limit is " + limits.maxRecords() + " over all splits");
    }
  }

  /** Strict UTF-8; a bad byte sequence is reported with its line. */
  private static String decodeUtf8(byte[] data, Split split) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(data);
    CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 16L, data.length + 1L));
    CoderResult r = decoder.decode(in, out, true);
    if (r.isError()) {
      int line = 1;
      for (int i = 0; i < in.position(); i++) {
        if (data[i] == '\n') {
          line++;
        }
      }
      throw new DatasetFormatException(split, line, "not valid UTF-8 (byte offset " + in.position() + ")");
    }
    decoder.flush(out);
    out.flip();
    return out.toString();
  }
}
