package io.promptune.gateway.inspect;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;

/**
 * The random baseline of a nearest-token report: for each prompt row a random direction (isotropic Gaussian, so
 * uniform on the sphere) scaled to that row's L2 norm. Seeded from the version id, so a version's page is the same
 * every time it is opened. Only the vectors are made here; their nearest tokens come from the runtime like the
 * trained rows'.
 */
public final class RandomBaseline {

  private RandomBaseline() {}

  /** The seed for a version: the first 8 bytes of sha256("promptune-nearest-tokens-baseline\n" + versionId). */
  public static long seedFor(String versionId) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(("promptune-nearest-tokens-baseline\n" + versionId)
          .getBytes(StandardCharsets.UTF_8));
      long s = 0;
      for (int i = 0; i < 8; i++) {
        s = (s << 8) | (h[i] & 0xff);
      }
      return s;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** L2 norm of each row of a row-major [length, dModel] matrix. */
  public static double[] rowNorms(float[] values, int length, int dModel) {
    check(values, length, dModel);
    double[] norms = new double[length];
    for (int r = 0; r < length; r++) {
      double sum = 0;
      for (int c = 0; c < dModel; c++) {
        double v = values[r * dModel + c];
        sum += v * v;
      }
      norms[r] = Math.sqrt(sum);
    }
    return norms;
  }

  /** A row-major [norms.length, dModel] matrix whose row i is a random direction times norms[i]. */
  public static float[] matrix(double[] norms, int dModel, long seed) {
    if (dModel <= 0) {
      throw new IllegalArgumentException("dModel must be positive, got " + dModel);
    }
    Random random = new Random(seed);
    float[] out = new float[norms.length * dModel];
    double[] g = new double[dModel];
    for (int r = 0; r < norms.length; r++) {
      double sum = 0;
      for (int c = 0; c < dModel; c++) {
        g[c] = random.nextGaussian();
        sum += g[c] * g[c];
      }
      double scale = sum == 0 ? 0 : norms[r] / Math.sqrt(sum);
      for (int c = 0; c < dModel; c++) {
        out[r * dModel + c] = (float) (g[c] * scale);
      }
    }
    return out;
  }

  private static void check(float[] values, int length, int dModel) {
    if (length < 0 || dModel <= 0 || (long) length * dModel != values.length) {
      throw new IllegalArgumentException("a [" + length + ", " + dModel + "] matrix needs " + ((long) length * dModel)
          + " values, got " + values.length);
    }
  }
}
