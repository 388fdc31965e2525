package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * d loss / d P by central finite differences on the engine in float64, against the engine's own autograd,
 * for per-example prompts of different lengths; and the float64 engine against the float32 goldens.
 */
class GradientCheckTest {

  static final int D = 64;

  static SoftPrompt prompt(int len, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] v = new float[len * D];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() - 0.5);
    }
    return new SoftPrompt(len, D, v);
  }

  /** The mean loss in double precision, from the per-example sums. */
  static double loss(DjlT5Engine e, List<SoftPrompt> prompts, List<Example> examples) {
    ForwardBackwardResult r = e.forwardBackward(prompts, examples, null, false);
    double s = 0;
    for (double x : r.exampleSumNll()) {
      s += x;
    }
    return s / r.numTargetTokens();
  }

  @TestFactory
  Stream<DynamicTest> finiteDifferences() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : Golden.MODELS) {
      tests.add(DynamicTest.dynamicTest(model, () -> check(model)));
    }
    return tests.stream();
  }

  static void check(String model) {
    DjlT5Engine e = GoldenEngines.get(model, EngineOptions.Precision.FLOAT64);
    List<SoftPrompt> prompts = List.of(prompt(3, 11), prompt(6, 12));
    List<Example> examples = List.of(new Example(new int[] {37, 629, 19, 1627, 1}, new int[] {644, 4598, 1}, 0),
        new Example(new int[] {8774, 296, 1}, new int[] {27, 1}, 1),
        new Example(new int[] {571, 33, 25, 58, 13959, 1}, new int[] {2018, 296, 55, 1}, 0),
        new Example(new int[] {5, 1}, new int[] {1}, -1));
    ForwardBackwardResult r = e.forwardBackward(prompts, examples, null, true);
    int[][] probes = {{0, 0, 0}, {0, 2, 63}, {1, 5, 17}, {1, 0, 40}, {0, 1, 7}, {1, 3, 3}};
    for (int[] pr : probes) {
      int pi = pr[0];
      int idx = pr[1] * D + pr[2];
      float base = prompts.get(pi).values()[idx];
      float h = 1e-5f; // small enough not to cross ReLU kinks; the exact float step is used below
      float plus = base + h;
      float minus = base - h;
      double lp = loss(e, with(prompts, pi, idx, plus), examples);
      double lm = loss(e, with(prompts, pi, idx, minus), examples);
      double fd = (lp - lm) / ((double) plus - (double) minus);
      double ad = r.promptGradients().get(pi)[idx];
      double tol = 1e-7 + 1e-5 * Math.abs(fd);
      assertTrue(Math.abs(fd - ad) <= tol, model + " prompt " + pi + " [" + pr[1] + "," + pr[2] + "]: finite "
          + "difference " + fd + " vs autograd " + ad + " (|diff| " + Math.abs(fd - ad) + ")");
    }
  }

  static List<SoftPrompt> with(List<SoftPrompt> prompts, int pi, int idx, float value) {
    List<SoftPrompt> out = new ArrayList<>(prompts);
    float[] v = prompts.get(pi).values().clone();
    v[idx] = value;
    out.set(pi, new SoftPrompt(prompts.get(pi).length(), D, v));
    return out;
  }

  @Test
  void float64EngineMatchesGoldens() {
    for (String model : Golden.MODELS) {
      DjlT5Engine e = GoldenEngines.get(model, EngineOptions.Precision.FLOAT64);
      JsonNode root = Golden.read(Golden.model(model).resolve("prompt_cases.json"));
      int[] vocabIdx = Golden.ints(root.get("vocab_idx"));
      for (JsonNode c : root.get("cases")) {
        GoldenCasesTest.check(e, c, vocabIdx, true);
      }
    }
  }
}
