package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Beam search sanity on the tiny checkpoints. */
class BeamSearchTest {

  record Setup(DjlT5Engine engine, List<SoftPrompt> prompts, List<GenerateQuery> queries) {}

  static Setup setup(String model) {
    DjlT5Engine e = GoldenEngines.get(model);
    JsonNode root = Golden.read(Golden.model(model).resolve("greedy.json"));
    float[] p = Golden.floats(root.get("prompt"));
    List<SoftPrompt> prompts = List.of(new SoftPrompt(p.length / 64, 64, p));
    List<GenerateQuery> qs = new ArrayList<>();
    for (JsonNode in : root.get("inputs")) {
      qs.add(new GenerateQuery(Golden.ints(in.get("input_ids")), -1));
      qs.add(new GenerateQuery(Golden.ints(in.get("input_ids")), 0));
    }
    qs.add(new GenerateQuery(new int[] {37, 629, 19, 1627, 1}, 0));
    return new Setup(e, prompts, qs);
  }

  @Test
  void oneBeamEqualsGreedy() {
    for (String model : Golden.MODELS) {
      Setup s = setup(model);
      List<GenerationResult> greedy = s.engine().generate(s.prompts(), s.queries(), 8, 1, 1.0f);
      List<GenerationResult> beam = s.engine().beamSearchForTest(s.prompts(), s.queries(), 8, 1, 1.0f);
      for (int i = 0; i < greedy.size(); i++) {
        assertArrayEquals(greedy.get(i).tokenIds(), beam.get(i).tokenIds(), model + " query " + i);
        assertEquals(greedy.get(i).sumLogProb(), beam.get(i).sumLogProb(), 1e-4, model + " query " + i);
      }
    }
  }

  @Test
  void beamScoreIsAtLeastGreedyScore() {
    for (String model : Golden.MODELS) {
      Setup s = setup(model);
      List<GenerationResult> greedy = s.engine().generate(s.prompts(), s.queries(), 8, 1, 1.0f);
      for (int beams : new int[] {2, 4}) {
        List<GenerationResult> beam = s.engine().generate(s.prompts(), s.queries(), 8, beams, 1.0f);
        for (int i = 0; i < greedy.size(); i++) {
          double g = greedy.get(i).sumLogProb() / greedy.get(i).tokenIds().length;
          double b = beam.get(i).sumLogProb() / beam.get(i).tokenIds().length;
          final int at = i;
          assertTrue(b >= g - 1e-5, () -> model + " query " + at + " beams " + beams + ": beam " + b
              + " < greedy " + g);
        }
      }
    }
  }

  @Test
  void batchedBeamSearchEqualsOneQueryAtATime() {
    Setup s = setup("tiny-t5-v1_1");
    List<GenerationResult> all = s.engine().generate(s.prompts(), s.queries(), 6, 3, 0.8f);
    for (int i = 0; i < s.queries().size(); i++) {
      GenerationResult one = s.engine().generate(s.prompts(), List.of(s.queries().get(i)), 6, 3, 0.8f).get(0);
      assertArrayEquals(one.tokenIds(), all.get(i).tokenIds(), "query " + i);
      assertEquals(one.sumLogProb(), all.get(i).sumLogProb(), 1e-4, "query " + i);
    }
  }

  @Test
  void beamSumLogProbIsTheTeacherForcedLogLikelihood() {
    Setup s = setup("tiny-t5-v1_0");
    List<GenerationResult> beam = s.engine().generate(s.prompts(), s.queries(), 7, 4, 1.0f);
    for (int i = 0; i < beam.size(); i++) {
      GenerateQuery q = s.queries().get(i);
      ForwardBackwardResult r = s.engine().forwardBackward(s.prompts(),
          List.of(new Example(q.inputIds(), beam.get(i).tokenIds(), q.promptIndex())), null, false);
      assertEquals(-r.exampleSumNll()[0], beam.get(i).sumLogProb(), 1e-4, "query " + i);
    }
  }
}
