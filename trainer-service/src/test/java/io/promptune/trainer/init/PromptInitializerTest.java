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

  @Test
  void sampledVocabRowsAreEmbeddingsOfDistinctFrequentTokens() {
    PromptInit m = PromptInit.newBuilder().setSampledVocab(SampledVocabInit.newBuilder().setTopK(5000)).build();
    InitializedPrompt p = init.initialize(m, 100, D, VOCAB, List.of(), 9);
    int[] ids = PromptInitializer.sampleIds(100, VOCAB, 5000, Rng.forStream(9, Rng.STREAM_INIT));
    Set<Integer> distinct = new HashSet<>();
    for (int r = 0; r < 100; r++) {
      assertTrue(ids[r] >= 3 && ids[r] < 5003, "id " + ids[r] + " among the 5,000 most frequent");
      distinct.add(ids[r]);
      assertArrayEquals(runtime.embedding(ids[r]), row(p.values(), r));
    }
    assertEquals(100, distinct.size());
  }

  @Test
  void sampledVocabFromATinyVocabularyRepeats() {
    int[] ids = PromptInitializer.sampleIds(10, 6, 5000, Rng.seeded(1));
    for (int id : ids) {
      assertTrue(id >= 3 && id < 6);
    }
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
    // Rows 2..4: sampled vocabulary.
    int[] rest = PromptInitializer.sampleIds(3, VOCAB, 5000, Rng.forStream(3, Rng.STREAM_INIT));
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
    int[] extra = PromptInitializer.sampleIds(2, VOCAB, 5000, Rng.forStream(1, Rng.STREAM_INIT));
    assertArrayEquals(runtime.embedding(extra[1]), row(longer.values(), 5));
    assertThrows(IllegalArgumentException.class, () -> init.initialize(m, 2, D + 1, VOCAB, List.of(), 1));
  }
}
