package io.promptune.runtime.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.promptune.runtime.load.GeneratedCheckpoint;
import org.junit.jupiter.api.Test;

class FlopCountTest {

  /** The figure for t5-small, batch 8, input 64, prompt 100, target 4: 128.5 GFLOP per step. */
  @Test
  void t5SmallStep() {
    var spec = GeneratedCheckpoint.config("t5-small-random", GeneratedCheckpoint.Shape.t5Small()).toSpec();
    FlopCount f = FlopCount.of(spec, 8, 164, 4);
    assertEquals(128.5, f.total() / 1e9, 0.05);
    assertEquals(62.95, f.forward() / 1e9, 0.01);
    // encoder layer: 8·N·d² + 4·N·d·d_ff + 4·B·Le²·d with N = 1312, d = 512, d_ff = 2048, Le = 164
    double n = 8 * 164;
    double layer = 8 * n * 512 * 512 + 4 * n * 512 * 2048 + 4 * 8 * 164.0 * 164 * 512;
    assertEquals(6 * layer, f.encoderForward(), 1);
  }
}
