package io.promptune.runtime.engine;

import static io.promptune.runtime.engine.Golden.f;
import static io.promptune.runtime.engine.Golden.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.promptune.runtime.model.Ops;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Half-precision weights on CPU against the float32 Hugging Face goldens of both tiny checkpoints. FLOAT16: the
 * weight matrices are really held in float16, the prompt gradient is float32, loss is within 2e-2 relative of
 * the golden, the prompt gradient is finite and cosine-similar (> 0.99) to the golden, and greedy and beam
 * decoding run (or, where the CPU kernels reject float16, the load fails with a clear message). BFLOAT16: DJL
 * 0.35's PyTorch JNI cannot represent it, so the load is refused with a clear message before anything native.
 */
class HalfPrecisionWeightsTest {

  static final double LOSS_REL_TOL = 2e-2;
  static final double MIN_COSINE = 0.99;

  @Test
  void float16WeightsOrClearLoadError() throws IOException {
    for (String model : Golden.MODELS) {
      DjlT5Engine engine;
      try {
        engine = load(model, EngineOptions.Precision.FLOAT16);
      } catch (IllegalArgumentException e) { // CPU kernels without float16 matmul: refused at load, clearly
        assertTrue(e.getMessage().contains("weights dtype float16 is not supported on device"), e.getMessage());
        System.err.println("float16 weights unsupported here (load-time error, as intended): " + e.getMessage());
        continue;
      }
      try (DjlT5Engine en = engine) {
        checkAgainstGoldens(en, model, DataType.FLOAT16);
      }
    }
  }

  /** DJL 0.35's PyTorch JNI has no bfloat16 dtype (naming it aborts the JVM): refused at load, in Java. */
  @Test
  void bfloat16RefusedAtLoadWithClearMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> load(Golden.MODELS[0], EngineOptions.Precision.BFLOAT16));
    assertTrue(e.getMessage().contains("bfloat16 is not supported"), e.getMessage());
    assertTrue(e.getMessage().contains("float16"), e.getMessage());
  }

  @Test
  void float32StaysFloat32() {
    DjlT5Engine engine = GoldenEngines.get(Golden.MODELS[0]);
    assertEquals(DataType.FLOAT32, engine.weightDtype());
    assertEquals(Map.of(DataType.FLOAT32, engine.weightArraysByDtype().get(DataType.FLOAT32)),
        engine.weightArraysByDtype());
  }

  @Test
  void parsesConfigValues() {
    assertEquals(EngineOptions.Precision.FLOAT32, EngineOptions.Precision.parse("float32"));
    assertEquals(EngineOptions.Precision.FLOAT32, EngineOptions.Precision.parse(null));
    assertEquals(EngineOptions.Precision.BFLOAT16, EngineOptions.Precision.parse(" BFloat16 "));
    assertEquals(EngineOptions.Precision.FLOAT16, EngineOptions.Precision.parse("FP16"));
    assertEquals(EngineOptions.Precision.BFLOAT16, EngineOptions.Precision.parse("bf16"));
    assertEquals(EngineOptions.Precision.FLOAT16, EngineOptions.Precision.parse("float16"));
    assertEquals("bfloat16", EngineOptions.Precision.BFLOAT16.label());
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.Precision.parse("int8"));
  }

  private static DjlT5Engine load(String model, EngineOptions.Precision precision) throws IOException {
    Path dir = Golden.model(model);
    return DjlT5Engine.load(dir, EngineOptions.defaults().withTokenizerPath(Golden.tokenizerJson())
        .withPrecision(precision));
  }

  private static void checkAgainstGoldens(DjlT5Engine engine, String model, DataType half) {
    // weights really held in the half dtype; norms and position-bias tables stay float32
    assertEquals(half, engine.weightDtype());
    assertEquals(half, engine.model().sharedEmbedding().getDataType(), model + " shared embedding dtype");
    assertEquals(DataType.FLOAT32, engine.model().dtype());
    Map<DataType, Integer> byDtype = engine.weightArraysByDtype();
    assertTrue(byDtype.getOrDefault(half, 0) > byDtype.getOrDefault(DataType.FLOAT32, 0) / 2,
        model + " weights by dtype " + byDtype);
    assertEquals(0, engine.weightsRequiringGradient());

    int d = engine.spec().dModel();
    JsonNode root = Golden.read(Golden.model(model).resolve("prompt_cases.json"));
    for (JsonNode c : root.get("cases")) {
      String name = model + "/" + c.get("name").asText();
      int[][] ids = Golden.ints2(c.get("input_ids"));
      int[][] mask = Golden.ints2(c.get("attention_mask"));
      int[][] labels = Golden.ints2(c.get("labels"));
      int b = ids.length;
      boolean perExample = !c.get("prompt_shared_across_batch").asBoolean();
      List<SoftPrompt> prompts = new ArrayList<>();
      int[] promptIndex = new int[b];
      if (perExample) {
        for (int i = 0; i < b; i++) {
          float[] vals = floats(c.get("prompt").get(i));
          prompts.add(new SoftPrompt(vals.length / d, d, vals));
          promptIndex[i] = i;
        }
      } else {
        float[] vals = floats(c.get("prompt"));
        prompts.add(new SoftPrompt(vals.length / d, d, vals));
      }
      List<Example> examples = new ArrayList<>();
      for (int i = 0; i < b; i++) {
        int n = Arrays.stream(mask[i]).sum();
        int t = (int) Arrays.stream(labels[i]).filter(l -> l != -100).count();
        examples.add(new Example(Arrays.copyOf(ids[i], n), Arrays.copyOf(labels[i], t), promptIndex[i]));
      }
      ForwardBackwardResult fwd = engine.forwardBackward(prompts, examples, null, false);
      ForwardBackwardResult r = engine.forwardBackward(prompts, examples, null, true);
      assertEquals(fwd.loss(), r.loss(), Math.abs(fwd.loss()) * 1e-6, name + " forward-only vs with gradients");
      float golden = f(c.get("loss"));
      assertTrue(Float.isFinite(r.loss()), name + " loss " + r.loss());
      double rel = Math.abs(r.loss() - golden) / Math.abs(golden);
      assertTrue(rel <= LOSS_REL_TOL, name + " loss " + r.loss() + " vs golden " + golden + " (rel " + rel + ")");
      assertNotNull(r.promptGradients(), name + " gradients");
      for (int i = 0; i < prompts.size(); i++) {
        float[] g = r.promptGradients().get(i);
        float[] want = floats(perExample ? c.get("prompt_grad").get(i) : c.get("prompt_grad"));
        assertEquals(want.length, g.length, name + " gradient size");
        for (float v : g) {
          assertTrue(Float.isFinite(v), name + " gradient has " + v);
        }
        double cos = cosine(g, want);
        assertTrue(cos > MIN_COSINE, name + " prompt_grad[" + i + "] cosine " + cos);
        System.err.printf("%s %s: loss rel %.2e, prompt_grad[%d] cosine %.6f%n", half, name, rel, i, cos);
      }
    }

    // the prompt and its gradient stay float32 in the graph
    assertPromptGradientIsFloat32(engine);

    // embedding rows come back float32 and close to the float32 table
    float[] e = engine.embed(new int[] {0, 1, 5});
    assertEquals(3 * d, e.length);
    for (float v : e) {
      assertTrue(Float.isFinite(v));
    }

    // greedy decoding runs
    float[] p = floats(root.get("prompt"));
    List<GenerationResult> res = engine.generate(List.of(new SoftPrompt(p.length / d, d, p)),
        List.of(new GenerateQuery(Golden.ints2(root.get("cases").get(0).get("input_ids"))[0], 0),
            new GenerateQuery(new int[] {5, 6, 7, 1}, -1)), 6, 1, 1.0f, null);
    assertEquals(2, res.size());
    for (GenerationResult g : res) {
      assertFalse(g.tokenIds().length == 0, model + " greedy produced no tokens");
      assertTrue(Double.isFinite(g.sumLogProb()), model + " greedy log prob " + g.sumLogProb());
      for (int t : g.tokenIds()) {
        assertTrue(t >= 0 && t < engine.spec().vocabSize());
      }
    }
    List<GenerationResult> beams = engine.generate(List.of(), List.of(new GenerateQuery(new int[] {5, 6, 7, 1}, -1)),
        4, 2, 1.0f, null);
    assertTrue(Double.isFinite(beams.get(0).sumLogProb()));
  }

  /** One projection on the engine's weights with an autograd prompt: prompt and gradient dtype float32. */
  private static void assertPromptGradientIsFloat32(DjlT5Engine engine) {
    int d = engine.spec().dModel();
    NDArray shared = engine.model().sharedEmbedding();
    try (NDManager m = shared.getManager().getEngine().newBaseManager(shared.getDevice());
        ai.djl.training.GradientCollector gc = m.getEngine().newGradientCollector()) {
      float[] vals = new float[2 * d];
      for (int i = 0; i < vals.length; i++) {
        vals[i] = (float) Math.sin(i);
      }
      NDArray prompt = m.create(vals, new Shape(2, d));
      prompt.setRequiresGradient(true);
      NDArray logits = Ops.linear(prompt, shared); // cast to the weight dtype and back, differentiably
      assertEquals(DataType.FLOAT32, logits.getDataType(), "projection output dtype");
      NDArray loss = logits.logSoftmax(1).get(":, 0").sum(); // a bounded gradient, like the engine's mean NLL
      gc.backward(loss);
      NDArray grad = prompt.getGradient();
      assertEquals(DataType.FLOAT32, prompt.getDataType());
      assertEquals(DataType.FLOAT32, grad.getDataType(), "prompt gradient dtype");
      for (float v : grad.toFloatArray()) {
        assertTrue(Float.isFinite(v));
      }
    }
  }

  static double cosine(float[] a, float[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
    return ab / Math.sqrt(aa * bb);
  }
}
