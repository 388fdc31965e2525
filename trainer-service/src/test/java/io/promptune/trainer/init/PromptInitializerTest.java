package io.promptune.trainer.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.RandomUniformInit;
import io.promptune.api.v1.SampledVocabInit;
import io.promptune.api.v1.TextInit;
import io.promptune.api.v1.VersionInit;
import io.promptune.api.v1.VersionSelector;
import io.promptune.trainer.loop.Rng;
import io.promptune.trainer.testing.InMemoryRegistry;
import io.promptune.trainer.testing.ToyRuntime;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PromptInitializerTest {

  private static final int D = 6;
  private static final int VOCAB = 5100;
  private final ToyRuntime runtime = new ToyRuntime(D, VOCAB, 11, 8);
  private final InMemoryRegistry registry = new InMemoryRegistry();
  private final PromptInitializer init = new PromptInitializer(runtime, registry, CallerIdentity.SYSTEM);

  private static float[] row(float[] p, int r) {
    return Arrays.copyOfRange(p, r * D, (r + 1) * D);
  }

  @Test
  void randomUniformHasTheShapeRangeAndIsSeeded() {
    PromptInit m = PromptInit.newBuilder().setRandomUniform(RandomUniformInit.newBuilder().setRange(0.5f)).build();
    InitializedPrompt a = init.initialize(m, 20, D, VOCAB, List.of(), 5);
    assertEquals(20 * D, a.values().length);
    assertEquals(InitMethod.RANDOM_UNIFORM, a.method());
    double min = 1;
    double max = -1;
    for (float v : a.values()) {
      assertTrue(v >= -0.5f && v <= 0.5f);
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assertTrue(min < -0.4 && max > 0.4, "spread over the interval");
    assertArrayEquals(a.values(), init.initialize(m, 20, D, VOCAB, List.of(), 5).values());
    assertTrue(!Arrays.equals(a.values(), init.initialize(m, 20, D, VOCAB, List.of(), 6).values()));
  }

  /*
   * Expected token ids are not computed with PromptInitializer. The tiny cases are traced by hand below; the
   * others come from an independent Python transcription of xoshiro256** / SplitMix64 (see RngTest), of the job
   * seed's INIT stream, and of the sampling the class documents (pool = ids 3 .. 3+top_k-1 capped at the
   * vocabulary; without replacement by a partial Fisher-Yates shuffle while the pool lasts, else with replacement).
   */

  @Test
  void sampledVocabDrawsWithoutReplacementByPartialFisherYates() {
    // Vocabulary 10, top 5: the pool is [3, 4, 5, 6, 7]. Seed 2's bounded draws for bounds 5, 4, 3, 2 are
    // 4, 1, 2, 1 (checked first, so a failure below is the shuffle's). By hand, swapping slot i with slot i + draw:
    //   i=0: swap 0,4 -> [7, 4, 5, 6, 3] takes 7;  i=1: swap 1,2 -> [7, 5, 4, 6, 3] takes 5;
    //   i=2: swap 2,4 -> [7, 5, 3, 6, 4] takes 3;  i=3: swap 3,4 -> [7, 5, 3, 4, 6] takes 4.
    Rng draws = Rng.seeded(2);
    assertArrayEquals(new int[] {4, 1, 2, 1},
        new int[] {draws.nextInt(5), draws.nextInt(4), draws.nextInt(3), draws.nextInt(2)});
    assertArrayEquals(new int[] {7, 5, 3, 4}, PromptInitializer.sampleIds(4, 10, 5, Rng.seeded(2)));
    // All five: a permutation of the pool.
    int[] all = PromptInitializer.sampleIds(5, 10, 5, Rng.seeded(2));
    assertArrayEquals(new int[] {7, 5, 3, 4}, Arrays.copyOf(all, 4));
    assertEquals(6, all[4]);
  }

  @Test
  void sampledVocabRowsAreEmbeddingsOfDistinctFrequentTokens() {
    PromptInit m = PromptInit.newBuilder().setSampledVocab(SampledVocabInit.newBuilder().setTopK(5000)).build();
    InitializedPrompt p = init.initialize(m, 100, D, VOCAB, List.of(), 9);
    // First ten of the 100 ids drawn for seed 9 (independent Python transcription).
    int[] first = {2429, 4974, 1204, 3754, 2353, 2896, 763, 1453, 3446, 2949};
    for (int r = 0; r < first.length; r++) {
      assertArrayEquals(runtime.embedding(first[r]), row(p.values(), r), "row " + r);
    }
    // Every row is the embedding of a distinct token among the 5,000 most frequent (ids 3..5002).
    Set<Integer> distinct = new HashSet<>();
    for (int r = 0; r < 100; r++) {
      int id = idOf(row(p.values(), r));
      assertTrue(id >= 3 && id < 5003, "row " + r + " is token " + id);
      distinct.add(id);
    }
    assertEquals(100, distinct.size());
  }

  /** The token whose toy embedding a row is, or -1. */
  private int idOf(float[] row) {
    for (int id = 0; id < VOCAB; id++) {
      if (Arrays.equals(runtime.embedding(id), row)) {
        return id;
      }
    }
    return -1;
  }

  @Test
  void sampledVocabFromATinyVocabularyRepeats() {
    // Vocabulary 6: the pool is [3, 4, 5], smaller than 10 rows, so ids are drawn with replacement: 3 + draw.
    // Seed 1's draws with bound 3 are 1, 2, 2, 1, 2, 0, 1, 1, 0, 1 (independent Python transcription).
    Rng draws = Rng.seeded(1);
    int[] d = new int[10];
    for (int i = 0; i < d.length; i++) {
      d[i] = draws.nextInt(3);
    }
    assertArrayEquals(new int[] {1, 2, 2, 1, 2, 0, 1, 1, 0, 1}, d);
    assertArrayEquals(new int[] {4, 5, 5, 4, 5, 3, 4, 4, 3, 4}, PromptInitializer.sampleIds(10, 6, 5000, Rng.seeded(1)));
    assertThrows(IllegalArgumentException.class, () -> PromptInitializer.sampleIds(1, 3, 5000, Rng.seeded(1)),
        "a vocabulary of only specials has nothing to sample");
  }

  @Test
  void classLabelRowsAreLabelTokenMeansThenSampledVocab() {
    PromptInit m = PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance()).build();
    List<String> labels = List.of("positive", "not so good");
    InitializedPrompt p = init.initialize(m, 5, D, VOCAB, labels, 3);
    assertArrayEquals(runtime.embedding(runtime.ids("positive", false)[0]), row(p.values(), 0));
    int[] ids = runtime.ids("not so good", false);
    float[] mean = new float[D];
    for (int d = 0; d < D; d++) {
      double s = 0;
      for (int id : ids) {
        s += runtime.embedding(id)[d];
      }
      mean[d] = (float) (s / ids.length);
    }
    assertArrayEquals(mean, row(p.values(), 1), 1e-7f);
    // Rows 2..4: sampled vocabulary, the ids seed 3 draws (independent Python transcription).
    int[] rest = {4700, 3209, 4353};
    for (int r = 0; r < 3; r++) {
      assertArrayEquals(runtime.embedding(rest[r]), row(p.values(), r + 2));
    }
    assertThrows(IllegalArgumentException.class, () -> init.initialize(m, 5, D, VOCAB, List.of(), 3));
  }

  @Test
  void textIsRepeatedOrCut() {
    PromptInit m = PromptInit.newBuilder().setText(TextInit.newBuilder().setText("classify the sentiment")).build();
    InitializedPrompt p = init.initialize(m, 7, D, VOCAB, List.of(), 1);
    int[] ids = runtime.ids("classify the sentiment", false);
    for (int r = 0; r < 7; r++) {
      assertArrayEquals(runtime.embedding(ids[r % 3]), row(p.values(), r));
    }
    assertEquals(2 * D, init.initialize(m, 2, D, VOCAB, List.of(), 1).values().length);
  }

  @Test
  void fromVersionCopiesCutsOrTopsUp() {
    float[] src = new float[4 * D];
    for (int i = 0; i < src.length; i++) {
      src[i] = i * 0.01f;
    }
    var v = registry.put("sentiment", src, 4, D);
    PromptInit m = PromptInit.newBuilder().setFromVersion(VersionInit.newBuilder()
        .setVersion(VersionSelector.newBuilder().setRef("sentiment@prod"))).build();
    InitializedPrompt cut = init.initialize(m, 2, D, VOCAB, List.of(), 1);
    assertArrayEquals(Arrays.copyOf(src, 2 * D), cut.values());
    assertEquals(v.getId(), cut.fromVersionId());
    assertEquals("sentiment", cut.fromPrompt());
    InitializedPrompt longer = init.initialize(m, 6, D, VOCAB, List.of(), 1);
    assertArrayEquals(src, Arrays.copyOf(longer.values(), 4 * D));
    // Rows 4 and 5 topped up with the ids seed 1 draws (independent Python transcription).
    assertArrayEquals(runtime.embedding(4232), row(longer.values(), 4));
    assertArrayEquals(runtime.embedding(669), row(longer.values(), 5));
    assertThrows(IllegalArgumentException.class, () -> init.initialize(m, 2, D + 1, VOCAB, List.of(), 1));
  }
}
