package io.promptune.runtime.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.common.safetensors.TensorData;
import io.promptune.runtime.engine.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratedCheckpointTest {

  @TempDir
  Path dir;

  @Test
  void deterministicAndLoadable() throws Exception {
    GeneratedCheckpoint.Shape shape = GeneratedCheckpoint.Shape.byteDemo();
    Path a = GeneratedCheckpoint.write(dir.resolve("a"), "demo", 42, shape);
    Path b = GeneratedCheckpoint.write(dir.resolve("b"), "demo", 42, shape);
    Path c = GeneratedCheckpoint.write(dir.resolve("c"), "demo", 43, shape);
    assertEquals(-1L, Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors")));
    T5Checkpoint ca = T5Checkpoint.load(a);
    T5Checkpoint cc = T5Checkpoint.load(c);
    assertEquals(T5Checkpoint.load(b).fingerprint(), ca.fingerprint());
    assertNotEquals(ca.fingerprint(), cc.fingerprint());
    assertEquals("generated:demo", ca.config().modelIdHint());
    assertEquals(384, ca.config().vocabSize());
    assertTrue(ca.config().gatedAct());
    assertEquals(T5TensorNames.expected(ca.config()).keySet(), ca.tensors().keySet());
    assertTrue(ca.ignored().isEmpty());
  }

  @Test
  void goldenCheckpointsHaveExactlyTheExpectedTensors() throws Exception {
    for (String m : Golden.MODELS) {
      T5Checkpoint ck = T5Checkpoint.load(Golden.model(m));
      assertEquals(m.endsWith("v1_0") ? 47 : 52, ck.tensors().size(), m);
      assertTrue(ck.ignored().isEmpty(), m);
      assertEquals(64, ck.fingerprint().length());
    }
  }

  @Test
  void missingOrMisshapedTensorsAreNamed() throws Exception {
    T5Config cfg = GeneratedCheckpoint.config("x", GeneratedCheckpoint.Shape.byteDemo());
    Map<String, TensorData> w = new java.util.TreeMap<>(GeneratedCheckpoint.weights(cfg, 1));
    w.remove("decoder.block.1.layer.2.DenseReluDense.wo.weight");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> T5Checkpoint.of(dir, cfg, w));
    assertTrue(e.getMessage().contains("decoder.block.1.layer.2.DenseReluDense.wo.weight"), e.getMessage());
    Map<String, TensorData> w2 = new java.util.TreeMap<>(GeneratedCheckpoint.weights(cfg, 1));
    w2.put("shared.weight", TensorData.of("shared.weight", new long[] {2, 2}, new float[4]));
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> T5Checkpoint.of(dir, cfg, w2));
    assertTrue(e2.getMessage().contains("shared.weight") && e2.getMessage().contains("[2, 2]"), e2.getMessage());
  }

  @Test
  void t5SmallShapeGeneratesQuickly() {
    T5Config cfg = GeneratedCheckpoint.config("t5-small-random", GeneratedCheckpoint.Shape.t5Small());
    long t0 = System.nanoTime();
    Map<String, TensorData> w = GeneratedCheckpoint.weights(cfg, 7);
    double s = (System.nanoTime() - t0) / 1e9;
    long params = w.values().stream().mapToLong(TensorData::numElements).sum();
    assertEquals(60_506_624L, params, "t5-small parameter count (tied)");
    assertTrue(s < 30, "generation took " + s + " s");
  }
}
