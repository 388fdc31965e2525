package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Native memory sampled along a soak, and the least-squares trend through the samples. Native memory here is the
 * process's resident set (VmRSS), read after a GC, minus the resident part of the Java heap (its address range from
 * {@code GC.heap_info}, its pages from /proc/self/smaps) and minus the JVM's committed non-heap pools (code cache,
 * metaspace): what PyTorch, the tokenizer, Netty and the allocators hold. The heap is left out because its resident
 * size creeps up to its committed size as the collector touches regions it had not used yet, the non-heap pools
 * because the JIT keeps compiling long after warm-up; neither is a leak of ours.
 *
 * <p>Flat means that the typical interval between samples does not grow: the median over the intervals of
 * their growth per request is at most 3 standard errors (from the intervals' median absolute deviation) plus the
 * measurement's resolution, one 4 KiB page per interval. The median, not the least-squares slope (also reported),
 * because allocators move resident memory in rare steps (a new arena or chunk, then nothing for thousands of
 * requests; sometimes memory handed back) that would tilt a fitted line without being a trend, while a leak grows
 * a little in every interval and so moves the median.
 */
public final class MemoryTrend {

  /**
   * The trend of native memory over the samples, in bytes per request: least-squares {@code slope} (for the
   * report), {@code typicalSlope} (median over the intervals), its standard error and the resolution.
   */
  public record Fit(int samples, double span, double slope, double typicalSlope, double typicalSlopeStdError,
      double resolution, double firstBytes, double lastBytes) {

    boolean flat() {
      return typicalSlope <= 3 * typicalSlopeStdError + resolution;
    }

    @Override
    public String toString() {
      return String.format("%d samples over %.0f requests, %.1f -> %.1f MiB: typical growth %+.1f B/request "
              + "(± %.1f, resolution %.1f), least-squares slope %+.1f B/request", samples, span,
          firstBytes / (1 << 20), lastBytes / (1 << 20), typicalSlope, typicalSlopeStdError, resolution, slope);
    }
  }

  private final List<double[]> samples = new ArrayList<>();
  private final StringBuilder table = new StringBuilder(
      "  requests   native MiB   VmRSS MiB   heap resident MiB   non-heap committed MiB   direct MiB   threads\n");

  /** Records native memory after {@code requests} requests (settles the heap first). */
  public void sample(long requests) throws IOException, InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(30);
    }
    long rss = rssBytes();
    long heap = heapResidentBytes();
    long nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getCommitted();
    long direct = directBytes();
    add(requests, rss - heap - nonHeap);
    table.append(String.format("  %8d %12.1f %11.1f %19.1f %24.1f %12.1f %9d%n", requests,
        (rss - heap - nonHeap) / MIB, rss / MIB, heap / MIB, nonHeap / MIB, direct / MIB, Thread.activeCount()));
  }

  /** Records a sample as given. */
  public void add(long requests, double bytes) {
    samples.add(new double[] {requests, bytes});
  }

  public Fit fit() {
    int n = samples.size();
    if (n < 4) {
      throw new IllegalStateException("a trend needs at least 4 samples, got " + n);
    }
    double mx = 0;
    double my = 0;
    for (double[] s : samples) {
      mx += s[0] / n;
      my += s[1] / n;
    }
    double sxx = 0;
    double sxy = 0;
    for (double[] s : samples) {
      sxx += (s[0] - mx) * (s[0] - mx);
      sxy += (s[0] - mx) * (s[1] - my);
    }
    double[] perInterval = new double[n - 1]; // growth per request between consecutive samples
    for (int i = 0; i < n - 1; i++) {
      perInterval[i] = (samples.get(i + 1)[1] - samples.get(i)[1]) / (samples.get(i + 1)[0] - samples.get(i)[0]);
    }
    double median = median(perInterval);
    double[] deviation = new double[n - 1];
    for (int i = 0; i < n - 1; i++) {
      deviation[i] = Math.abs(perInterval[i] - median);
    }
    // MAD × 1.4826 estimates a normal spread; the median's standard error is sqrt(pi / 2) = 1.2533 times the mean's
    double stdError = 1.2533 * 1.4826 * median(deviation) / Math.sqrt(n - 1);
    double span = samples.get(n - 1)[0] - samples.get(0)[0];
    double resolution = 4096 / (span / (n - 1));
    return new Fit(n, span, sxy / sxx, median, stdError, resolution, samples.get(0)[1], samples.get(n - 1)[1]);
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    int m = v.length;
    return m % 2 == 1 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
  }

  /** Fails unless the trend is flat (see the class comment). */
  public Fit assertFlat(String what) {
    Fit f = fit();
    System.out.println(what + ": native memory " + f + "\n" + table);
    assertTrue(f.flat(), () -> what + ": native memory grows: " + f);
    return f;
  }

  private static final double MIB = 1 << 20;

  static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  /** Direct buffers: the JDK's pool plus what Netty (plain and gRPC-shaded) allocated without the JDK. */
  static long directBytes() {
    long sum = 0;
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        sum += pool.getMemoryUsed();
      }
    }
    for (String c : new String[] {"io.netty.util.internal.PlatformDependent",
        "io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent"}) {
      try {
        long used = (long) Class.forName(c).getMethod("usedDirectMemory").invoke(null);
        sum += Math.max(0, used);
      } catch (ReflectiveOperationException | LinkageError e) {
        // that Netty is not on the classpath
      }
    }
    return sum;
  }

  /** Resident bytes of the Java heap: the Rss of the mappings inside the heap's reserved address range. */
  static long heapResidentBytes() throws IOException {
    long[] range = heapRange();
    long rssKb = 0;
    boolean inHeap = false;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      Matcher m = MAPPING.matcher(line);
      if (m.lookingAt()) {
        long start = Long.parseUnsignedLong(m.group(1), 16);
        long end = Long.parseUnsignedLong(m.group(2), 16);
        inHeap = start < range[1] && end > range[0];
      } else if (inHeap && line.startsWith("Rss:")) {
        rssKb += Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return rssKb * 1024;
  }

  private static final Pattern MAPPING = Pattern.compile("([0-9a-f]+)-([0-9a-f]+) ");
  private static final Pattern HEAP_RANGE = Pattern.compile("\\[(0x[0-9a-f]+), (0x[0-9a-f]+)\\)");

  /** [start, end) of the Java heap's reserved addresses, as HotSpot's GC.heap_info prints them. */
  private static long[] heapRange() {
    try {
      String info = (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcHeapInfo", new Object[] {new String[0]},
          new String[] {String[].class.getName()});
      Matcher m = HEAP_RANGE.matcher(info);
      if (!m.find()) {
        throw new IllegalStateException("no heap address range in GC.heap_info: " + info);
      }
      return new long[] {Long.parseUnsignedLong(m.group(1).substring(2), 16),
          Long.parseUnsignedLong(m.group(2).substring(2), 16)};
    } catch (JMException e) {
      throw new IllegalStateException("GC.heap_info is not available", e);
    }
  }
}
