package io.promptune.trainer.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.Split;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CanonicalDatasetTest {

  private final DatasetParser parser = new DatasetParser(DatasetLimits.defaults());

  private List<DataRecord> parse(DatasetFormat f, String text) {
    return parser.parse(f, text.getBytes(StandardCharsets.UTF_8), new TreeMap<>(), Split.TRAIN, null, 1000)
        .records();
  }

  @Test
  void sameRecordsGiveTheSameIdWhateverTheFileLooksLike() {
    var jsonl = parse(DatasetFormat.JSONL, "{\"target\": \"b\",  \"input\": \"a\"}\n{\"input\":\"c\",\"target\":\"d\"}");
    var csv = parse(DatasetFormat.CSV, "target,input\r\nb,a\r\n\"d\",c\r\n");
    var tsv = parse(DatasetFormat.TSV, "input\ttarget\na\tb\nc\td\n");
    String id = CanonicalDataset.of(List.of("input", "target"), jsonl, null, -1).id();
    assertEquals(id, CanonicalDataset.of(List.of("input", "target"), csv, null, -1).id());
    assertEquals(id, CanonicalDataset.of(List.of("input", "target"), tsv, null, -1).id());
    assertTrue(id.matches("[0-9a-f]{64}"));
    assertEquals("{\"input\":\"a\",\"target\":\"b\"}", CanonicalDataset.canonicalLine(jsonl.get(0)));
  }

  @Test
  void contentSplitsAndOrderChangeTheId() {
    var a = parse(DatasetFormat.JSONL, "{\"input\":\"a\",\"target\":\"b\"}\n{\"input\":\"c\",\"target\":\"d\"}");
    var b = parse(DatasetFormat.JSONL, "{\"input\":\"a\",\"target\":\"B\"}\n{\"input\":\"c\",\"target\":\"d\"}");
    List<String> f = List.of("input", "target");
    String idA = CanonicalDataset.of(f, a, null, -1).id();
    assertNotEquals(idA, CanonicalDataset.of(f, b, null, -1).id());
    assertNotEquals(idA, CanonicalDataset.of(f, a.subList(0, 1), a.subList(1, 2), 0).id());
    assertNotEquals(idA, CanonicalDataset.of(f, List.of(a.get(1), a.get(0)), null, -1).id());
  }

  @Test
  void heldOutValidationIsDeterministicByContent() {
    List<DataRecord> records = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      records.add(new DataRecord(new TreeMap<>(java.util.Map.of("input", "x" + i, "target", "y" + (i % 3)))));
    }
    CanonicalDataset d = CanonicalDataset.of(List.of("input", "target"), records, null, 0); // 0 means 0.1
    assertEquals(20, d.validation().size());
    assertEquals(180, d.train().size());
    // The same records in another order hold out the same records.
    List<DataRecord> shuffled = new ArrayList<>(records);
    Collections.shuffle(shuffled, new java.util.Random(1));
    CanonicalDataset e = CanonicalDataset.of(List.of("input", "target"), shuffled, null, 0.1);
    assertEquals(new HashSet<>(d.validation()), new HashSet<>(e.validation()));
    // Train keeps file order.
    int last = -1;
    for (DataRecord r : d.train()) {
      int i = Integer.parseInt(r.get("input").substring(1));
      assertTrue(i > last);
      last = i;
    }
  }

  @Test
  void negativeFractionMeansNoValidationAndTinySetsKeepTrain() {
    var one = parse(DatasetFormat.JSONL, "{\"input\":\"a\",\"target\":\"b\"}");
    assertEquals(0, CanonicalDataset.of(List.of("input", "target"), one, null, 0.5).validation().size());
    var two = parse(DatasetFormat.JSONL, "{\"input\":\"a\",\"target\":\"b\"}\n{\"input\":\"c\",\"target\":\"d\"}");
    var d = CanonicalDataset.of(List.of("input", "target"), two, null, 0.1);
    assertEquals(1, d.validation().size());
    assertEquals(1, d.train().size());
    assertEquals(0, CanonicalDataset.of(List.of("input", "target"), two, null, -1).validation().size());
  }

  @Test
  void canonicalBytesParseBack() {
    var recs = parse(DatasetFormat.CSV, "input,target\n\"multi\nline \"\"q\"\"\",\u00fc\n");
    assertEquals(recs, CanonicalDataset.parseCanonical(CanonicalDataset.canonicalBytes(recs)));
  }
}
