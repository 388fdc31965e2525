package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * The memory soaks' flatness criterion on synthetic samples (41, every 500 requests, ± 50 KiB of noise as the real
 * soaks show): it passes allocator-like steps and catches a leak of 100 bytes per request.
 */
class MemoryTrendTest {

  static final double MIB = 1 << 20;

  @Test
  void byHand() {
    MemoryTrend t = new MemoryTrend();
    t.add(0, 1);
    t.add(1, 1);
    t.add(2, 4);
    t.add(3, 4);
    MemoryTrend.Fit f = t.fit();
    // least squares: mean (1.5, 2.5), Sxx = 5, Sxy = 6
    assertEquals(1.2, f.slope(), 1e-12);
    // per interval: 0, 3, 0 -> median 0, deviations 0, 3, 0 -> MAD 0
    assertEquals(0, f.typicalSlope(), 0);
    assertEquals(0, f.typicalSlopeStdError(), 0);
    assertEquals(4096, f.resolution(), 0, "one page per interval of one request");
  }

  @Test
  void noiseIsFlat() {
    assertFlat(series(0, 1, new double[0][]));
  }

  @Test
  void allocatorStepsAreFlat() {
    // a new chunk, a bigger one, memory handed back: each once, between flat stretches
    assertFlat(series(0, 3, new double[][] {{13, 5 * MIB}, {23, 21 * MIB}, {30, -4 * MIB}}));
  }

  @Test
  void aLeakOfOneHundredBytesPerRequestIsCaught() {
    MemoryTrend t = series(100, 2, new double[][] {{17, 5 * MIB}});
    assertFalse(t.fit().flat(), t.fit().toString());
    assertThrows(AssertionFailedError.class, () -> t.assertFlat("synthetic leak"));
  }

  static void assertFlat(MemoryTrend t) {
    assertTrue(t.fit().flat(), t.fit().toString());
    t.assertFlat("synthetic flat series");
  }

  /** 400 MiB, {@code leak} bytes per request, ± 50 KiB uniform noise, and {@code steps}: {sample index, bytes}. */
  static MemoryTrend series(double leak, long seed, double[][] steps) {
    SplittableRandom r = new SplittableRandom(seed);
    MemoryTrend t = new MemoryTrend();
    for (int i = 0; i <= 40; i++) {
      long requests = 500L * i;
      double bytes = 400 * MIB + leak * requests + 50 * 1024 * (2 * r.nextDouble() - 1);
      for (double[] step : steps) {
        bytes += i >= step[0] ? step[1] : 0;
      }
      t.add(requests, bytes);
    }
    return t;
  }
}
