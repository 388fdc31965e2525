package io.promptune.runtime.engine;

import static io.promptune.runtime.engine.Golden.close;
import static io.promptune.runtime.engine.Golden.f;
import static io.promptune.runtime.engine.Golden.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * greedy.json of both tiny checkpoints: our KV-cached greedy decoding reproduces HF's generated sequences and
 * every step's raw logits (at the stored vocabulary ids), argmax logit and logsumexp; with and without a prompt.
 * All queries of a model are decoded in one batched call.
 */
class GoldenGreedyTest {

  @AfterAll
  static void summary() {
    Golden.printSummary("golden greedy (and cases, if run in the same JVM)");
  }

  @TestFactory
  Stream<DynamicTest> greedy() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : Golden.MODELS) {
      for (boolean withPrompt : new boolean[] {false, true}) {
        tests.add(DynamicTest.dynamicTest(model + (withPrompt ? "/with_prompt" : "/no_prompt"),
            () -> check(model, withPrompt)));
      }
    }
    return tests.stream();
  }

  static void check(String model, boolean withPrompt) {
    DjlT5Engine engine = GoldenEngines.get(model);
    JsonNode root = Golden.read(Golden.model(model).resolve("greedy.json"));
    int d = engine.spec().dModel();
    int[] vocabIdx = Golden.ints(root.get("vocab_idx"));
    int maxNew = root.get("max_new_tokens").asInt();
    List<SoftPrompt> prompts = new ArrayList<>();
    if (withPrompt) {
      float[] p = floats(root.get("prompt"));
      prompts.add(new SoftPrompt(p.length / d, d, p));
    }
    JsonNode inputs = root.get("inputs");
    List<GenerateQuery> queries = new ArrayList<>();
    for (JsonNode in : inputs) {
      queries.add(new GenerateQuery(Golden.ints(in.get("input_ids")), withPrompt ? 0 : -1));
    }
    int v = engine.spec().vocabSize();
    float[][][] stepLogits = new float[queries.size()][maxNew][];
    List<GenerationResult> res = engine.generate(prompts, queries, maxNew, 1, 1.0f,
        (step, q, logits, vocab) -> {
          for (int r = 0; r < q.length; r++) {
            stepLogits[q[r]][step] = java.util.Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
          }
        });
    for (int qi = 0; qi < queries.size(); qi++) {
      JsonNode g = inputs.get(qi).get(withPrompt ? "with_prompt" : "no_prompt");
      String name = model + "/" + inputs.get(qi).get("name").asText() + (withPrompt ? "/with_prompt" : "");
      int[] expected = Golden.ints(g.get("generated_ids"));
      GenerationResult r = res.get(qi);
      assertArrayEquals(expected, r.tokenIds(), name + " generated ids");
      assertFalse(r.endedWithEos(), name + " ended with EOS");
      double sumLp = 0;
      for (int s = 0; s < maxNew; s++) {
        float[] lg = stepLogits[qi][s];
        JsonNode sl = g.get("step_logits_at_vocab_idx").get(s);
        for (int k = 0; k < vocabIdx.length; k++) {
          close(name + " step " + s + " logit[" + vocabIdx[k] + "]", f(sl.get(k)), lg[vocabIdx[k]], 1e-4);
          Golden.record(model + " greedy step_logits_at_vocab_idx", Math.abs(f(sl.get(k)) - lg[vocabIdx[k]]));
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float x : lg) {
          max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : lg) {
          sum += Math.exp(x - max);
        }
        double lse = max + Math.log(sum);
        close(name + " step " + s + " argmax logit", f(g.get("step_argmax_logit").get(s)), max, 1e-4);
        close(name + " step " + s + " logsumexp", f(g.get("step_logsumexp").get(s)), lse, 1e-4);
        Golden.record(model + " greedy step_logsumexp", Math.abs(f(g.get("step_logsumexp").get(s)) - lse));
        sumLp += f(g.get("step_argmax_logit").get(s)) - f(g.get("step_logsumexp").get(s));
      }
      close(name + " sum log prob", sumLp, r.sumLogProb(), 1e-3);
      assertEquals(maxNew, r.tokenIds().length);
    }
  }
}
