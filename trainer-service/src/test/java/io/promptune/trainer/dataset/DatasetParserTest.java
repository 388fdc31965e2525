package io.promptune.trainer.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.Split;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DatasetParserTest {

  private final DatasetParser parser = new DatasetParser(DatasetLimits.defaults());
  private static final SortedMap<String, String> NO_MAPPING = new TreeMap<>();

  private DatasetParser.ParsedSplit parse(DatasetFormat f, String text, Map<String, String> mapping) {
    return parser.parse(f, text.getBytes(StandardCharsets.UTF_8), new TreeMap<>(mapping), Split.TRAIN, null, 1000);
  }

  private DatasetFormatException fails(DatasetFormat f, String text, Map<String, String> mapping) {
    return assertThrows(DatasetFormatException.class, () -> parse(f, text, mapping));
  }

  @Test
  void jsonlKeepsTheFirstRecordsFieldsAndTurnsScalarsIntoText() {
    var s = parse(DatasetFormat.JSONL, "{\"input\": \"a b\", \"target\": \"x\"}\n\n"
        + "{\"target\": 1, \"input\": true, \"extra\": [1]}\r\n", Map.of());
    assertEquals(List.of("input", "target"), s.fields());
    assertEquals(2, s.records().size());
    assertEquals("true", s.records().get(1).get("input"));
    assertEquals("1", s.records().get(1).get("target"));
  }

  @Test
  void jsonlErrorsNameTheLine() {
    var bad = fails(DatasetFormat.JSONL, "{\"input\":\"a\",\"target\":\"b\"}\n{\"input\":\"a\",\n", Map.of());
    assertEquals(2, bad.line());
    assertTrue(bad.getMessage().startsWith("train file, line 2: invalid JSON"), bad.getMessage());

    var missing = fails(DatasetFormat.JSONL, "{\"input\":\"a\",\"target\":\"b\"}\n\n{\"input\":\"c\"}", Map.of());
    assertEquals(3, missing.line());
    assertEquals("train file, line 3: missing field \"target\"", missing.getMessage());

    var notObject = fails(DatasetFormat.JSONL, "[1, 2]\n", Map.of());
    assertEquals("train file, line 1: expected a JSON object, got array", notObject.getMessage());

    var nested = fails(DatasetFormat.JSONL, "{\"input\": {\"a\": 1}, \"target\": \"x\"}", Map.of());
    assertTrue(nested.getMessage().contains("must be a string, number or boolean"));

    var dup = fails(DatasetFormat.JSONL, "{\"input\": \"a\", \"input\": \"b\"}", Map.of());
    assertEquals(1, dup.line());

    var trailing = fails(DatasetFormat.JSONL, "{\"input\": \"a\"} {\"input\": \"b\"}", Map.of());
    assertEquals(1, trailing.line());
  }

  @Test
  void jsonlWithMappingRenamesAndRequiresTheMappedFields() {
    var s = parse(DatasetFormat.JSONL, "{\"sentence\": \"good\", \"label\": 1, \"idx\": 0}",
        Map.of("sentence", "text", "label", "label"));
    assertEquals(List.of("label", "text"), s.fields());
    assertEquals("good", s.records().get(0).get("text"));
    var e = fails(DatasetFormat.JSONL, "{\"sentence\": \"good\", \"label\": 1}\n{\"label\": 0}",
        Map.of("sentence", "text", "label", "label"));
    assertEquals("train file, line 2: missing field \"sentence\"", e.getMessage());
  }

  @Test
  void csvFollowsRfc4180() {
    String csv = "sentence,label\r\n"
        + "\"hello, world\",1\r\n"
        + "\"she said \"\"hi\"\"\",0\r\n"
        + "\"two\nlines\",1\r\n"
        + "plain,0\r\n";
    var s = parse(DatasetFormat.CSV, csv, Map.of());
    assertEquals(List.of("label", "sentence"), s.fields());
    assertEquals(4, s.records().size());
    assertEquals("hello, world", s.records().get(0).get("sentence"));
    assertEquals("she said \"hi\"", s.records().get(1).get("sentence"));
    assertEquals("two\nlines", s.records().get(2).get("sentence"));
  }

  @Test
  void csvErrorsNameTheLine() {
    // The multi-line quoted field moves the physical line numbers on.
    var count = fails(DatasetFormat.CSV, "a,b\n1,2\n\"x\ny\",2\n1,2,3\n", Map.of());
    assertEquals(5, count.line());
    assertEquals("train file, line 5: expected 2 columns, found 3", count.getMessage());

    var unclosed = fails(DatasetFormat.CSV, "a,b\n1,\"open\n", Map.of());
    assertEquals(2, unclosed.line());
    assertTrue(unclosed.getMessage().contains("never closed"));

    var afterQuote = fails(DatasetFormat.CSV, "a,b\n\"x\"y,2\n", Map.of());
    assertEquals(2, afterQuote.line());

    var mapping = fails(DatasetFormat.CSV, "a,b\n1,2\n", Map.of("sentence", "input"));
    assertEquals(1, mapping.line());
    assertTrue(mapping.getMessage().contains("missing column \"sentence\""));

    var dupHeader = fails(DatasetFormat.CSV, "a,a\n1,2\n", Map.of());
    assertTrue(dupHeader.getMessage().contains("duplicate column"));
  }

  @Test
  void tsvTreatsQuotesAsText() {
    var s = parse(DatasetFormat.TSV, "sentence\tlabel\nit's \"great\"\t1\n", Map.of());
    assertEquals("it's \"great\"", s.records().get(0).get("sentence"));
    var e = fails(DatasetFormat.TSV, "sentence\tlabel\na\t1\nb\n", Map.of());
    assertEquals("train file, line 3: expected 2 columns, found 1", e.getMessage());
  }

  @Test
  void emptyFilesAreRejected() {
    assertEquals("train file: empty file", fails(DatasetFormat.JSONL, "  \n\n", Map.of()).getMessage());
    assertEquals("train file: empty file: no records", fails(DatasetFormat.CSV, "a,b\n", Map.of()).getMessage());
    assertEquals("train file: empty file", fails(DatasetFormat.CSV, "", Map.of()).getMessage());
  }

  @Test
  void invalidUtf8NamesTheLine() {
    byte[] data = "{\"input\":\"a\",\"target\":\"b\"}\n{\"input\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
    data[data.length - 3] = (byte) 0xff;
    var e = assertThrows(DatasetFormatException.class,
        () -> parser.parse(DatasetFormat.JSONL, data, NO_MAPPING, Split.TRAIN, null, 10));
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("UTF-8"));
  }

  @Test
  void recordLimit() {
    var e = assertThrows(DatasetFormatException.class, () -> parser.parse(DatasetFormat.CSV,
        "a\n1\n2\n3\n".getBytes(StandardCharsets.UTF_8), NO_MAPPING, Split.VALIDATION, null, 2));
    assertEquals(4, e.line());
    assertTrue(e.getMessage().startsWith("validation file, line 4: too many records"));
  }

  @Test
  void byteOrderMarkIsIgnoredAndValidationMustHaveTrainFields() {
    var s = parse(DatasetFormat.CSV, "\uFEFFinput,target\nx,y\n", Map.of());
    assertEquals(List.of("input", "target"), s.fields());
    var e = assertThrows(DatasetFormatException.class, () -> parser.parse(DatasetFormat.JSONL,
        "{\"input\":\"a\"}".getBytes(StandardCharsets.UTF_8), NO_MAPPING, Split.VALIDATION, s.fields(), 10));
    assertEquals("validation file, line 1: missing field \"target\"", e.getMessage());
  }
}
