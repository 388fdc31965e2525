package io.promptune.e2e;

import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Multi-tenant benchmark (docs/benchmarks.md): K training jobs with small batches against one model runtime, run
 * at once and one after another, through a real deployment (launcher, PostgreSQL, registry, runtime, trainer).
 * Reports aggregate steps/s per mode and the callers merged per executed ForwardBackward batch as the runtime saw
 * them. Modes, interleaved per round so background load hits all alike:
 * <ul>
 *   <li>{@code sequential}: the K jobs one after another (each alone on the runtime);</li>
 *   <li>{@code concurrent}: the K jobs at once, the runtime merging their calls (batching on, the default);</li>
 *   <li>{@code unmerged}: the K jobs at once, the runtime restarted with batching off (each call its own engine
 *       call, calls running side by side on the engine threads).</li>
 * </ul>
 * Steps/s: sequential = K·steps / Σ job run time; concurrent = K·steps / (last end − first start); run time is the
 * job's own start_time → end_time (claim to publish), so queue polling between jobs is not counted.
 *
 * <p>Run with {@code deploy/e2e/bench-multitenant.sh --jobs=4 --batch=2}; see {@link #main} for the options.
 */
public final class MultiTenantBenchmark {

  private static final Pattern BATCH_LINE = Pattern.compile("forward-backward: executed a batch of (\\d+) callers");

  private final Map<String, String> opts;
  private final int jobs;
  private final int batch;
  private final int steps;
  private final int promptLength;
  private final Path home;
  private final int portOffset;
  private final Map<String, String> env = new HashMap<>();
  private Deployment merged;
  private Deployment unmerged;
  private Dataset dataset;

  private MultiTenantBenchmark(Map<String, String> opts) throws IOException {
    this.opts = opts;
    this.jobs = Integer.parseInt(opts.getOrDefault("jobs", "4"));
    this.batch = Integer.parseInt(opts.getOrDefault("batch", "2"));
    this.steps = Integer.parseInt(opts.getOrDefault("steps", "40"));
    this.promptLength = Integer.parseInt(opts.getOrDefault("prompt-length", "20"));
    this.portOffset = Integer.parseInt(opts.getOrDefault("port-offset", "31000"));
    this.home = opts.containsKey("home") ? Path.of(opts.get("home"))
        : Files.createTempDirectory("promptune-bench-multitenant");
    env.put("PROMPTUNE_DB_PORT", "0");
    env.put("PROMPTUNE_MODEL", opts.getOrDefault("model", "generated:tiny-byt5"));
    env.put("PROMPTUNE_TRAINER_WORKER_CONCURRENCY", Integer.toString(jobs));
    env.put("PROMPTUNE_TRAINER_WORKER_POLL_INTERVAL", "100ms");
    // the runtime-side count of callers per batch when /q/metrics has none
    env.put("QUARKUS_LOG_CATEGORY__IO_PROMPTUNE_RUNTIME_BATCHING__LEVEL", "DEBUG");
    if (opts.containsKey("tokenizer")) { // generated:t5-small-random has no tokenizer.json of its own
      env.put("PROMPTUNE_RUNTIME_TOKENIZER", Path.of(opts.get("tokenizer")).toAbsolutePath().toString());
    }
    if (opts.containsKey("window")) {
      env.put("PROMPTUNE_RUNTIME_BATCHING_WINDOW", opts.get("window"));
    }
  }

  /**
   * Options ({@code --name=value}): jobs (4), batch (2), steps per job (40), prompt-length (20), rounds (3),
   * modes (sequential,concurrent,unmerged), model (generated:tiny-byt5; generated:t5-small-random is t5-small's
   * shape and needs tokenizer=<a T5 tokenizer.json>), tokenizer, window (the runtime's batching window, default 3ms), port-offset (31000), home (a new temp dir).
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (String a : args) {
      if (!a.startsWith("--") || !a.contains("=")) {
        throw new IllegalArgumentException("options are --name=value, got " + a);
      }
      opts.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
    }
    MultiTenantBenchmark b = new MultiTenantBenchmark(opts);
    try {
      b.run();
    } finally {
      b.close();
    }
    System.exit(0);
  }

  record Round(String mode, double stepsPerSecond, double seconds, double callersPerBatch, long batches) {}

  private void run() throws Exception {
    List<String> modes = List.of(opts.getOrDefault("modes", "sequential,concurrent,unmerged").split(","));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
    System.out.printf("multi-tenant benchmark: %d jobs × %d steps, batch %d, prompt %d, model %s, modes %s, "
        + "%d rounds%nhost: %s, %d cores; load average at start %s%n", jobs, steps, batch, promptLength,
        env.get("PROMPTUNE_MODEL"), modes, rounds, cpuModel(), Runtime.getRuntime().availableProcessors(),
        loadAverage());
    merged = new Deployment("bench-merged", home, portOffset, env);
    Map<String, String> off = new HashMap<>(env);
    off.put("PROMPTUNE_RUNTIME_BATCHING_ENABLED", "false");
    unmerged = new Deployment("bench-unmerged", home, portOffset, off);
    merged.up();
    dataset = merged.uploadJsonl("bench-multitenant", SentimentData.train(), SentimentData.validation());
    // warm-up: one job, not counted (JIT, the model's first calls, the trainer's first claim)
    runJobs(merged, 1, true, "warmup");

    Map<String, List<Round>> results = new LinkedHashMap<>();
    boolean runtimeMerges = true;
    for (int r = 1; r <= rounds; r++) {
      for (String mode : modes) {
        boolean wantMerging = !mode.equals("unmerged");
        if (wantMerging != runtimeMerges) {
          restartRuntime(wantMerging ? merged : unmerged);
          runtimeMerges = wantMerging;
          runJobs(current(runtimeMerges), 1, true, "warmup-after-restart");
        }
        Round round = runJobs(current(runtimeMerges), jobs, mode.equals("sequential"), mode + "-" + r);
        results.computeIfAbsent(mode, k -> new ArrayList<>()).add(round);
        System.out.printf(Locale.ROOT, "round %d %-10s %7.2f steps/s (%6.1f s)  callers/batch %.2f over %d batches"
            + "  load %s%n", r, mode, round.stepsPerSecond(), round.seconds(), round.callersPerBatch(),
            round.batches(), loadAverage());
        System.out.flush();
      }
    }
    System.out.println();
    System.out.printf("%-10s | %s | %s | %s%n", "mode", "median steps/s", "best steps/s", "callers/batch (mean)");
    double seqMedian = Double.NaN;
    for (Map.Entry<String, List<Round>> e : results.entrySet()) {
      List<Double> sps = e.getValue().stream().map(Round::stepsPerSecond).sorted().toList();
      double median = sps.get(sps.size() / 2);
      double callers = e.getValue().stream().mapToDouble(Round::callersPerBatch).average().orElse(Double.NaN);
      if (e.getKey().equals("sequential")) {
        seqMedian = median;
      }
      System.out.printf(Locale.ROOT, "%-10s | %14.2f | %12.2f | %s%s%n", e.getKey(), median,
          sps.get(sps.size() - 1), e.getKey().equals("unmerged") ? "n/a (batching off)"
              : String.format(Locale.ROOT, "%.2f", callers),
          Double.isNaN(seqMedian) || e.getKey().equals("sequential") ? ""
              : String.format(Locale.ROOT, "   (× %.2f of sequential)", median / seqMedian));
    }
    System.out.println("callers/batch source: " + (metricsAvailable(portOffset) ? "promptune_runtime_batch_callers"
        : "the runtime's 'executed a batch of N callers' debug lines") + "; load average at end " + loadAverage());
  }

  private Deployment current(boolean merging) {
    return merging ? merged : unmerged;
  }

  /** SIGTERM to the runtime, then {@code up} through the other deployment object: only the runtime starts again. */
  private void restartRuntime(Deployment next) throws Exception {
    ProcessHandle rt = merged.process("runtime");
    rt.destroy();
    rt.onExit().get(60, TimeUnit.SECONDS);
    next.up();
    next.resetConnectBackoff();
  }

  private Round runJobs(Deployment d, int k, boolean oneAfterAnother, String tag) throws Exception {
    long[] before = batchCounts(d);
    List<Job> done = new ArrayList<>();
    if (oneAfterAnother) {
      for (int i = 0; i < k; i++) {
        done.add(await(d, submit(d, tag + "-" + i, i)));
      }
    } else {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        ids.add(submit(d, tag + "-" + i, i));
      }
      for (String id : ids) {
        done.add(await(d, id));
      }
    }
    long[] after = batchCounts(d);
    double seconds;
    if (oneAfterAnother) {
      seconds = done.stream().mapToDouble(j -> between(j.getStartTime(), j.getEndTime())).sum();
    } else {
      long first = done.stream().mapToLong(j -> millis(j.getStartTime())).min().orElseThrow();
      long last = done.stream().mapToLong(j -> millis(j.getEndTime())).max().orElseThrow();
      seconds = (last - first) / 1000.0;
    }
    long batches = after[0] - before[0];
    long callers = after[1] - before[1];
    return new Round(tag, (double) k * steps / seconds, seconds, batches == 0 ? Double.NaN
        : (double) callers / batches, batches);
  }

  private String submit(Deployment d, String name, int i) {
    JobSpec spec = JobSpec.newBuilder()
        .setDataset(dataset.getId())
        .setTaskFormat(TaskFormat.newBuilder().setName("identity").addAllLabels(SentimentData.LABELS))
        .setPromptLength(promptLength)
        .setInit(PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance()))
        .setBatchSize(batch)
        .setMaxSteps(steps)
        .setEvalInterval(steps)
        .setMaxEvalExamples(8)
        .setCheckpointInterval(steps)
        .setSeed(1000 + i)
        .setOutputPrompt("bench-" + name)
        .setTask("sentiment")
        .build();
    return d.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()).getId();
  }

  private static Job await(Deployment d, String id) throws InterruptedException {
    Job j = d.awaitJob(id, Duration.ofMinutes(30), "job " + id + " to end", x -> Deployment.terminal(x.getState()));
    if (j.getState() != JobState.SUCCEEDED) {
      throw new IllegalStateException("benchmark job failed: " + j);
    }
    return d.trainer().getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static long millis(com.google.protobuf.Timestamp t) {
    return t.getSeconds() * 1000 + t.getNanos() / 1_000_000;
  }

  private static double between(com.google.protobuf.Timestamp a, com.google.protobuf.Timestamp b) {
    return (millis(b) - millis(a)) / 1000.0;
  }

  // ---------------------------------------------------------------- callers per batch, as the runtime saw them

  /** {executed ForwardBackward batches, callers in them} so far: from /q/metrics if exported, else the log. */
  private long[] batchCounts(Deployment d) throws IOException {
    String metrics = scrape(portOffset);
    if (metrics != null && metrics.contains("promptune_runtime_batch_callers_count")) {
      return new long[] {(long) value(metrics, "promptune_runtime_batch_callers_count"),
          (long) value(metrics, "promptune_runtime_batch_callers_sum")};
    }
    long batches = 0;
    long callers = 0;
    for (String line : Files.readAllLines(home.resolve("logs/runtime.log"), StandardCharsets.UTF_8)) {
      Matcher m = BATCH_LINE.matcher(line);
      if (m.find()) {
        batches++;
        callers += Integer.parseInt(m.group(1));
      }
    }
    return new long[] {batches, callers};
  }

  private static double value(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + "{") && l.contains("op=\"forward_backward\""))
        .mapToDouble(ScaleOutIT::sampleValue).sum();
  }

  private static boolean metricsAvailable(int offset) {
    String m = scrape(offset);
    return m != null && m.contains("promptune_runtime_batch_callers_count");
  }

  private static String scrape(int offset) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + (8101 + offset) + "/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  // ---------------------------------------------------------------- host

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  private void close() throws Exception {
    if (merged != null) {
      merged.close();
    }
  }
}
