package io.promptune.gateway.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RandomBaselineTest {

  @Test
  void rowNormsAreEuclidean() {
    // [3, 4, 0] -> 5; [1, 2, 2] -> 3; [0, 0, 0] -> 0.
    assertArrayEquals(new double[] {5, 3, 0}, RandomBaseline.rowNorms(new float[] {3, 4, 0, 1, 2, 2, 0, 0, 0}, 3, 3),
        1e-12);
    assertThrows(IllegalArgumentException.class, () -> RandomBaseline.rowNorms(new float[5], 2, 3));
  }

  @Test
  void randomRowsKeepTheNormsAndDependOnlyOnTheSeed() {
    double[] norms = {5, 0.25, 0, 40};
    float[] a = RandomBaseline.matrix(norms, 128, 7);
    double[] got = RandomBaseline.rowNorms(a, 4, 128);
    for (int r = 0; r < norms.length; r++) {
      assertEquals(norms[r], got[r], 1e-5 * Math.max(1, norms[r]), "row " + r);
    }
    assertArrayEquals(a, RandomBaseline.matrix(norms, 128, 7));
    assertFalse(Arrays.equals(a, RandomBaseline.matrix(norms, 128, 8)));
    assertEquals(RandomBaseline.seedFor("v"), RandomBaseline.seedFor("v"));
  }
}
