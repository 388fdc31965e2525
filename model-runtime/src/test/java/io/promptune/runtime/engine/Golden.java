package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Access to the Hugging Face golden vectors in {@code ../shared/golden} (system property
 * {@code promptune.golden.dir}, set by surefire); nothing is copied into the repository. This is the one place
 * where tests decide what a missing golden directory means: locally they are skipped loudly; with
 * {@code -Dpromptune.golden.required=true} (CI, .ci/run) they fail.
 */
public final class Golden {

  public static final String PROPERTY = "promptune.golden.dir";
  public static final String REQUIRED_PROPERTY = "promptune.golden.required";
  public static final String[] MODELS = {"tiny-t5-v1_0", "tiny-t5-v1_1"};
  private static final ObjectMapper JSON = new ObjectMapper();

  private Golden() {}

  /**
   * The golden directory. When it is not available: a failed test if {@value #REQUIRED_PROPERTY} is true, else a
   * skipped test with a loud message.
   */
  public static Path dir() {
    return dir(System.getProperty(PROPERTY), Boolean.getBoolean(REQUIRED_PROPERTY));
  }

  /** {@link #dir()} for a given directory setting; the goldens are there when it holds their SHA256SUMS. */
  static Path dir(String property, boolean required) {
    Path dir = property == null ? null : Path.of(property);
    if (dir != null && Files.isRegularFile(dir.resolve("SHA256SUMS"))) {
      return dir;
    }
    String where = PROPERTY + "=" + property + " is not a golden directory (no SHA256SUMS there)";
    if (required) {
      fail("GOLDEN VECTORS NOT FOUND: " + where + ", and " + REQUIRED_PROPERTY + "=true: golden tests must run");
    }
    String msg = "\n*** GOLDEN VECTORS NOT FOUND: " + where + ". Golden tests are SKIPPED, not passed"
        + " (-D" + REQUIRED_PROPERTY + "=true makes this a failure). ***\n";
    System.err.println(msg);
    Assumptions.abort(msg);
    return null; // not reached: abort throws
  }

  public static Path model(String name) {
    return dir().resolve(name);
  }

  public static Path tokenizerJson() {
    return dir().resolve("t5-tokenizer").resolve("tokenizer.json");
  }

  public static JsonNode read(Path file) {
    try {
      return JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read golden file " + file, e);
    }
  }

  /** JSON number → double → float, which recovers the exact float32 the generator stored. */
  public static float f(JsonNode n) {
    return (float) n.asDouble();
  }

  public static float[] floats(JsonNode n) {
    List<Float> out = new ArrayList<>();
    flatten(n, out);
    float[] a = new float[out.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = out.get(i);
    }
    return a;
  }

  private static void flatten(JsonNode n, List<Float> out) {
    if (n.isArray()) {
      for (JsonNode c : n) {
        flatten(c, out);
      }
    } else {
      out.add(n.isNull() ? Float.NaN : f(n));
    }
  }

  public static int[] ints(JsonNode n) {
    int[] a = new int[n.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = n.get(i).asInt();
    }
    return a;
  }

  public static int[][] ints2(JsonNode n) {
    int[][] a = new int[n.size()][];
    for (int i = 0; i < a.length; i++) {
      a[i] = ints(n.get(i));
    }
    return a;
  }

  /** Largest |expected − actual| seen per quantity (for the summary the golden tests print). */
  public static final java.util.Map<String, Double> MAX_DIFF = new java.util.concurrent.ConcurrentSkipListMap<>();

  /** Records a difference under a quantity name (the text before the first '[' or digit-free key). */
  public static void record(String quantity, double diff) {
    MAX_DIFF.merge(quantity, diff, Math::max);
  }

  public static void printSummary(String title) {
    StringBuilder sb = new StringBuilder("\n" + title + " — max |diff| vs Hugging Face:\n");
    MAX_DIFF.forEach((k, v) -> sb.append(String.format("  %-60s %.3g%n", k, v)));
    System.out.println(sb);
  }

  public static void close(String what, double expected, double actual, double tol) {
    assertTrue(Math.abs(expected - actual) <= tol,
        () -> what + ": expected " + expected + " got " + actual + " (|diff| " + Math.abs(expected - actual)
            + " > " + tol + ")");
  }

  /** Max |diff| over arrays of equal length, asserted ≤ abs + rel·|expected|. */
  public static double closeAll(String what, float[] expected, float[] actual, double abs, double rel) {
    assertTrue(expected.length == actual.length,
        () -> what + ": length " + actual.length + " != expected " + expected.length);
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs((double) expected[i] - actual[i]);
      max = Math.max(max, d);
      double tol = abs + rel * Math.abs(expected[i]);
      final int at = i;
      assertTrue(d <= tol, () -> what + "[" + at + "]: expected " + expected[at] + " got " + actual[at]
          + " (|diff| " + d + " > " + tol + ")");
    }
    return max;
  }
}
