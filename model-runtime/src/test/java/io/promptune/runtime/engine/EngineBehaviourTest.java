package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.common.safetensors.TensorData;
import io.promptune.runtime.load.GeneratedCheckpoint;
import io.promptune.runtime.load.T5Checkpoint;
import io.promptune.runtime.tokenizer.ByteTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Engine behaviour beyond the goldens: batching exactness, scoring, caching, embeddings, validation. */
class EngineBehaviourTest {

  static final int D = 64;

  @TempDir
  Path tmp;

  static SoftPrompt prompt(int len, long seed) {
    return GradientCheckTest.prompt(len, seed);
  }

  @Test
  void perExamplePromptsOfDifferentLengthsEqualRunningAlone() {
    // float32: agreement to float32 noise (the goldens' tolerances); float64: exact (NLL to 1e-9; gradients are
    // returned as float32, so to their rounding)
    for (EngineOptions.Precision precision : new EngineOptions.Precision[] {EngineOptions.Precision.FLOAT32,
        EngineOptions.Precision.FLOAT64}) { // half weights: HalfPrecisionWeightsTest
      boolean f64 = precision == EngineOptions.Precision.FLOAT64;
      double abs = f64 ? 1e-9 : 1e-4;
      double rel = f64 ? 1e-6 : 1e-3;
      for (String model : Golden.MODELS) {
        batchingIsExact(GoldenEngines.get(model, precision), model + " " + precision, abs, rel);
      }
    }
  }

  static void batchingIsExact(DjlT5Engine e, String model, double abs, double rel) {
    {
      List<SoftPrompt> prompts = List.of(prompt(3, 1), prompt(7, 2), prompt(4, 3));
      List<Example> ex = List.of(new Example(new int[] {37, 629, 19, 1627, 1}, new int[] {644, 4598, 1}, 0),
          new Example(new int[] {8774, 296, 1}, new int[] {27, 1}, 1),
          new Example(new int[] {571, 33, 25, 58, 13959, 5, 1}, new int[] {2018, 296, 55, 7, 1}, -1),
          new Example(new int[] {1}, new int[] {5, 1}, 0));
      float[] ones = {1, 1, 1, 1};
      ForwardBackwardResult batch = e.forwardBackward(prompts, ex, ones, true);
      float[][] expectedGrad = new float[3][];
      for (int i = 0; i < 3; i++) {
        expectedGrad[i] = new float[prompts.get(i).values().length];
      }
      for (int i = 0; i < ex.size(); i++) {
        ForwardBackwardResult alone = e.forwardBackward(prompts, List.of(ex.get(i)), new float[] {1}, true);
        assertEquals(alone.exampleSumNll()[0], batch.exampleSumNll()[i], abs, model + " example " + i);
        for (int p = 0; p < 3; p++) {
          float[] g = alone.promptGradients().get(p);
          for (int k = 0; k < g.length; k++) {
            expectedGrad[p][k] += g[k];
          }
        }
      }
      for (float x : batch.promptGradients().get(2)) {
        assertEquals(0f, x, "unused prompt has a zero gradient");
      }
      for (int p = 0; p < 2; p++) {
        Golden.closeAll(model + " prompt " + p + " gradient", expectedGrad[p], batch.promptGradients().get(p),
            Math.max(abs, 1e-7), rel);
      }
      double sum = 0;
      for (double s : batch.exampleSumNll()) {
        sum += s;
      }
      assertEquals(sum, batch.loss(), 1e-4, "explicit weights 1: objective = sum of NLL");
      assertArrayEquals(new int[] {3, 2, 5, 2}, batch.exampleTokens());
      assertEquals(12, batch.numTargetTokens());
      assertEquals(0, e.weightsRequiringGradient(), "frozen weights never require gradients");
      // default weights = HF mean loss
      ForwardBackwardResult mean = e.forwardBackward(prompts, ex, null, false);
      assertEquals(sum / 12, mean.loss(), 1e-5);
      assertNull(mean.promptGradients());
    }
  }

  @Test
  void scoreEqualsTeacherForcedLogLikelihood() {
    DjlT5Engine e = GoldenEngines.get("tiny-t5-v1_1");
    List<SoftPrompt> prompts = List.of(prompt(5, 9));
    int[] in0 = {13959, 1566, 12, 2968, 10, 37, 629, 19, 1627, 5, 1};
    int[] in1 = {8774, 296, 1};
    List<int[]> cands = List.of(new int[] {1465, 1}, new int[] {2841, 1}, new int[] {27, 31, 1});
    // equal candidate counts: grouped path
    List<CandidateScores> grouped = e.score(prompts, List.of(new ScoreQuery(in0, cands, 0),
        new ScoreQuery(in1, cands, -1)));
    // uneven counts (and an empty query): expanded path
    List<CandidateScores> uneven = e.score(prompts, List.of(new ScoreQuery(in0, cands, 0),
        new ScoreQuery(in1, cands.subList(0, 2), -1), new ScoreQuery(in1, List.of(), -1)));
    assertEquals(0, uneven.get(2).sumLogProb().length);
    for (int c = 0; c < cands.size(); c++) {
      double tf0 = -e.forwardBackward(prompts, List.of(new Example(in0, cands.get(c), 0)), null, false)
          .exampleSumNll()[0];
      double tf1 = -e.forwardBackward(prompts, List.of(new Example(in1, cands.get(c), -1)), null, false)
          .exampleSumNll()[0];
      assertEquals(tf0, grouped.get(0).sumLogProb()[c], 2e-5);
      assertEquals(tf1, grouped.get(1).sumLogProb()[c], 2e-5);
      assertEquals(tf0, uneven.get(0).sumLogProb()[c], 2e-5);
      if (c < 2) {
        assertEquals(tf1, uneven.get(1).sumLogProb()[c], 2e-5);
      }
      assertEquals(cands.get(c).length, grouped.get(0).numTokens()[c]);
    }
  }

  @Test
  void greedyWithKvCacheEqualsRecomputingThePrefix() {
    for (String model : Golden.MODELS) {
      DjlT5Engine e = GoldenEngines.get(model);
      List<SoftPrompt> prompts = List.of(prompt(4, 5));
      List<GenerateQuery> qs = List.of(new GenerateQuery(new int[] {37, 629, 19, 1627, 1}, 0),
          new GenerateQuery(new int[] {8774, 32099, 296, 1}, -1));
      List<GenerationResult> res = e.generate(prompts, qs, 12, 1, 1.0f);
      for (int i = 0; i < qs.size(); i++) {
        int[] gen = res.get(i).tokenIds();
        ForwardTrace tr = e.forwardTrace(prompts, List.of(new Example(qs.get(i).inputIds(), gen,
            qs.get(i).promptIndex())), null, false);
        int v = e.spec().vocabSize();
        for (int t = 0; t < gen.length; t++) { // every generated token is the argmax of the uncached logits
          int arg = 0;
          for (int j = 1; j < v; j++) {
            if (tr.logits()[t * v + j] > tr.logits()[t * v + arg]) {
              arg = j;
            }
          }
          assertEquals(arg, gen[t], model + " query " + i + " step " + t);
        }
        assertEquals(-tr.result().exampleSumNll()[0], res.get(i).sumLogProb(), 1e-4);
      }
    }
  }

  @Test
  void embedAndNearestTokens() throws IOException {
    DjlT5Engine e = GoldenEngines.get("tiny-t5-v1_0");
    T5Checkpoint ck = T5Checkpoint.load(Golden.model("tiny-t5-v1_0"));
    TensorData shared = ck.tensors().get("shared.weight");
    float[] all = shared.toFloatArray();
    int[] ids = {0, 1, 8774, 32099, 32127};
    float[] emb = e.embed(ids);
    for (int i = 0; i < ids.length; i++) {
      for (int k = 0; k < D; k++) {
        assertEquals(all[ids[i] * D + k], emb[i * D + k]);
      }
    }
    assertEquals(ck.fingerprint(), e.fingerprint());
    // a prompt whose rows are token embeddings (scaled: cosine ignores the norm) finds those tokens first
    int[] probe = {37, 8774, 1627};
    float[] rows = e.embed(probe);
    for (int i = 0; i < rows.length; i++) {
      rows[i] *= 3.5f;
    }
    List<List<NearestToken>> nn = e.nearestTokens(new SoftPrompt(3, D, rows), 4);
    for (int r = 0; r < 3; r++) {
      assertEquals(4, nn.get(r).size());
      assertEquals(probe[r], nn.get(r).get(0).tokenId());
      assertEquals(1.0, nn.get(r).get(0).cosine(), 1e-5);
      assertTrue(nn.get(r).get(1).cosine() <= nn.get(r).get(0).cosine());
      assertTrue(nn.get(r).stream().allMatch(t -> t.tokenId() < e.tokenizer().vocabSize()));
    }
  }

  @Test
  void invalidInputsFailFast() {
    DjlT5Engine e = GoldenEngines.get("tiny-t5-v1_0");
    List<SoftPrompt> prompts = List.of(prompt(2, 1));
    assertThrows(IllegalArgumentException.class, () -> e.forwardBackward(prompts,
        List.of(new Example(new int[] {1}, new int[] {1}, 1)), null, true));
    assertThrows(IllegalArgumentException.class, () -> e.forwardBackward(List.of(new SoftPrompt(1, 8, new float[8])),
        List.of(new Example(new int[] {1}, new int[] {1}, 0)), null, true));
    assertThrows(IllegalArgumentException.class, () -> e.forwardBackward(prompts,
        List.of(new Example(new int[] {32128}, new int[] {1}, 0)), null, true));
    assertThrows(IllegalArgumentException.class, () -> e.forwardBackward(prompts,
        List.of(new Example(new int[] {}, new int[] {1}, -1)), null, true));
    assertThrows(IllegalArgumentException.class, () -> e.forwardBackward(prompts,
        List.of(new Example(new int[] {1}, new int[] {1}, 0)), new float[] {1, 2}, true));
    assertThrows(IllegalArgumentException.class, () -> e.generate(prompts,
        List.of(new GenerateQuery(new int[] {-1}, -1)), 3, 1, 1f));
    assertThrows(IllegalArgumentException.class, () -> e.nearestTokens(prompts.get(0), 0));
    // a prompt-only example (no tokens) is fine
    ForwardBackwardResult r = e.forwardBackward(prompts, List.of(new Example(new int[] {}, new int[] {1}, 0)), null,
        true);
    assertTrue(Float.isFinite(r.loss()));
  }

  @Test
  void generatedByteDemoModelRunsEndToEnd() throws IOException {
    Path dir = GeneratedCheckpoint.write(tmp.resolve("demo"), "demo", 1234, GeneratedCheckpoint.Shape.byteDemo());
    try (DjlT5Engine e = DjlT5Engine.load(dir, EngineOptions.defaults())) {
      assertEquals("generated:demo", e.modelId());
      assertTrue(e.tokenizer() instanceof ByteTokenizer);
      assertEquals(384, e.spec().vocabSize());
      assertTrue(e.spec().gatedGelu());
      int[] ids = e.tokenizer().encode("classify: great movie", true).ids();
      SoftPrompt p = new SoftPrompt(6, e.spec().dModel(), new float[6 * e.spec().dModel()]);
      ForwardBackwardResult r = e.forwardBackward(List.of(p), List.of(new Example(ids,
          e.tokenizer().encode("positive", true).ids(), 0)), null, true);
      assertTrue(Float.isFinite(r.loss()) && r.loss() > 0);
      GenerationResult g = e.generate(List.of(p), List.of(new GenerateQuery(ids, 0)), 10, 2, 1f).get(0);
      assertTrue(g.tokenIds().length <= 10);
      e.tokenizer().decode(g.tokenIds(), true);
    }
  }

  @Test
  void greedyDropsFinishedRowsAndStaysExact() throws IOException {
    // A generated model whose EOS logit is boosted, so rows finish at different steps.
    Path dir = GeneratedCheckpoint.write(tmp.resolve("eos"), "eos", 77, GeneratedCheckpoint.Shape.byteDemo());
    T5Checkpoint ck = T5Checkpoint.load(dir);
    java.util.Map<String, TensorData> w = new java.util.TreeMap<>(ck.tensors());
    float[] head = w.get("lm_head.weight").toFloatArray();
    int d = ck.config().dModel();
    for (int k = 0; k < d; k++) {
      head[d + k] *= 4.0f; // row 1 = EOS
    }
    w.put("lm_head.weight", TensorData.of("lm_head.weight", new long[] {384, d}, head));
    T5Checkpoint boosted = T5Checkpoint.of(dir, ck.config(), w);
    try (DjlT5Engine e = DjlT5Engine.fromCheckpoint(boosted, new ByteTokenizer(384), EngineOptions.defaults())) {
      SplittableRandom rnd = new SplittableRandom(5);
      List<GenerateQuery> qs = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        int[] ids = new int[3 + rnd.nextInt(10)];
        for (int j = 0; j < ids.length; j++) {
          ids[j] = 3 + rnd.nextInt(256);
        }
        qs.add(new GenerateQuery(ids, -1));
      }
      List<GenerationResult> batch = e.generate(List.of(), qs, 16, 1, 1f);
      long ended = batch.stream().filter(GenerationResult::endedWithEos).count();
      java.util.Set<Integer> lengths = new java.util.HashSet<>();
      batch.forEach(g -> lengths.add(g.tokenIds().length));
      assertTrue(ended > 0 && lengths.size() > 1, "expected rows to finish at different steps: " + lengths);
      for (int i = 0; i < qs.size(); i++) {
        GenerationResult one = e.generate(List.of(), List.of(qs.get(i)), 16, 1, 1f).get(0);
        assertArrayEquals(one.tokenIds(), batch.get(i).tokenIds(), "query " + i);
        assertEquals(one.sumLogProb(), batch.get(i).sumLogProb(), 1e-4);
        if (batch.get(i).endedWithEos()) {
          int[] t = batch.get(i).tokenIds();
          assertEquals(1, t[t.length - 1]);
        }
      }
      List<GenerationResult> beams = e.generate(List.of(), qs, 16, 3, 1f);
      for (int i = 0; i < qs.size(); i++) {
        GenerationResult one = e.generate(List.of(), List.of(qs.get(i)), 16, 3, 1f).get(0);
        assertArrayEquals(one.tokenIds(), beams.get(i).tokenIds(), "beam query " + i);
      }
    }
  }

  @Test
  void checkpointWithoutTokenizerNeedsOne() {
    Path dir = Golden.model("tiny-t5-v1_0");
    NoSuchFileException ex = assertThrows(NoSuchFileException.class,
        () -> DjlT5Engine.load(dir, EngineOptions.defaults()));
    assertTrue(ex.getMessage().contains("tokenizer.json"), ex.getMessage());
    assertTrue(Files.isDirectory(dir));
  }
}
