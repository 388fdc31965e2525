package io.promptune.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.promptune.runtime.engine.Golden;
import org.junit.jupiter.api.Test;

/** relative_position_buckets.json: both tables (7×12) and the wide range −300..300, bidirectional and causal. */
class RelativePositionBucketsTest {

  @Test
  void matchesHuggingFace() {
    JsonNode root = Golden.read(Golden.dir().resolve("relative_position_buckets.json"));
    int nb = root.get("num_buckets").asInt();
    int md = root.get("max_distance").asInt();
    JsonNode rel = root.get("relative_position");
    for (String kind : new String[] {"bidirectional", "unidirectional"}) {
      boolean bi = kind.equals("bidirectional");
      JsonNode table = root.get(kind);
      for (int i = 0; i < rel.size(); i++) {
        for (int j = 0; j < rel.get(i).size(); j++) {
          int r = rel.get(i).get(j).asInt();
          assertEquals(j - i, r);
          assertEquals(table.get(i).get(j).asInt(), RelativePositionBias.bucket(r, bi, nb, md),
              kind + " rel " + r);
        }
      }
      JsonNode wideRel = root.get("wide_relative_position");
      JsonNode wide = root.get("wide_" + kind);
      assertEquals(601, wideRel.size());
      for (int i = 0; i < wideRel.size(); i++) {
        int r = wideRel.get(i).asInt();
        assertEquals(wide.get(i).asInt(), RelativePositionBias.bucket(r, bi, nb, md), "wide " + kind + " rel " + r);
      }
    }
  }

  @Test
  void spotValuesFromTheReadme() {
    assertEquals(10, RelativePositionBias.bucket(-16, true, 32, 128));
    assertEquals(26, RelativePositionBias.bucket(16, true, 32, 128));
    assertEquals(16, RelativePositionBias.bucket(-16, false, 32, 128));
    assertEquals(0, RelativePositionBias.bucket(5, false, 32, 128));
    assertEquals(31, RelativePositionBias.bucket(-100000, false, 32, 128));
    assertEquals(31, RelativePositionBias.bucket(100000, true, 32, 128));
  }
}
