package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.VersionSelector;
import io.promptune.deploy.ProcessSupervisor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out across real processes (issue 13): one deployment first runs four jobs one after another on a single
 * runtime and trainer (the references), then is scaled by {@code promptune up --runtimes 3 --trainers 2} where the
 * third runtime serves a different model, and runs the same four jobs at once. Both runtimes of the model serve a
 * fair share of the ForwardBackward calls (counted on the runtimes themselves), the foreign one none; then one
 * runtime and one trainer are SIGKILLed mid-job. All four jobs still succeed and publish prompts bit-identical
 * (sha256) to their references.
 *
 * <p>Batching across callers is off in this deployment: a merged ForwardBackward has more rows and padding, and the
 * float32 GEMM kernels then round differently (≤ 1e-7 relative, {@code BatchingExactnessTest}), so concurrent jobs
 * would not be bit-identical to lone ones with it on. What is proven here is that replicas, round-robin, failover
 * and resume on another process change no bit.
 */
class ScaleOutIT {

  static final int PORT_OFFSET = 30700;
  // Long enough that no job can finish between the snapshot below and the SIGKILL (a quiet machine runs ~8 steps/s).
  static final int STEPS = 48;
  static final int CHECKPOINT_INTERVAL = 10;
  /** The four jobs: one seed each. */
  static final List<Integer> SEEDS = List.of(11, 22, 33, 44);
  /** The runtime instances of the scaled deployment; the third serves another model. */
  static final List<String> RUNTIMES = List.of("runtime", "runtime-2", "runtime-3");

  @TempDir
  static Path home;

  static Deployment deployment;

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  static Dataset dataset;

  @AfterAll
  static void down() throws Exception {
    if (deployment != null) {
      deployment.close();
    }
  }

  @Test
  void fourJobsOnTwoRuntimesAndTwoTrainersSurviveSigkillsBitIdenticalToLoneRuns() throws Exception {
    Instant t0 = Instant.now();
    deployment = new Deployment("ScaleOutIT", home, PORT_OFFSET, Map.of(
        "PROMPTUNE_DB_PORT", "0",
        // a killed trainer's jobs become claimable soon; both trainers poll the queue often
        "PROMPTUNE_TRAINER_LEASE_DURATION", "3s",
        "PROMPTUNE_TRAINER_HEARTBEAT_INTERVAL", "1s",
        "PROMPTUNE_TRAINER_WORKER_POLL_INTERVAL", "200ms",
        // two jobs per trainer: four jobs split 2 + 2, so the killed trainer surely holds two
        "PROMPTUNE_TRAINER_WORKER_CONCURRENCY", "2",
        "PROMPTUNE_RUNTIME_BATCHING_ENABLED", "false",
        "PROMPTUNE_RUNTIME_CACHE_DIR", home.resolve("model-cache").toString(),
        // "ForwardBackward OK" per answered call: the runtime-side count when /q/metrics has no RPC counter
        "QUARKUS_LOG_CATEGORY__IO_PROMPTUNE_RUNTIME_GRPC__LEVEL", "DEBUG"));

    // ---- 1. references: each job alone on one runtime and one trainer
    deployment.up();
    dataset = deployment.uploadJsonl("e2e-scale-sentiment", SentimentData.train(), SentimentData.validation());
    Map<Integer, PromptVersion> references = new LinkedHashMap<>();
    for (int seed : SEEDS) {
      Instant r0 = Instant.now();
      String id = submit("e2e-scale-reference-" + seed, seed);
      List<JobEvent> events = deployment.watchToEnd(id, Duration.ofMinutes(3));
      Job j = getJob(id);
      assertEquals(JobState.SUCCEEDED, j.getState(), j.getReason() + "\n" + events);
      assertEquals(1, j.getAttempts());
      references.put(seed, version(j.getPublishedVersionId()));
      System.out.printf("[ScaleOutIT] reference seed %d: %d ms%n", seed, Duration.between(r0, Instant.now())
          .toMillis());
    }
    assertEquals(SEEDS.size(), references.values().stream().map(PromptVersion::getSha256).distinct().count(),
        "four seeds, four different prompts");
    ModelInfo model = deployment.runtime().getModelInfo(GetModelInfoRequest.getDefaultInstance());

    // ---- 2. scale out: runtime-3 is started here, as the launcher would, but on a model with one weight changed
    Instant s0 = Instant.now();
    startForeignRuntime(foreignModel());
    deployment.up("--runtimes", "3", "--trainers", "2");
    System.out.printf("[ScaleOutIT] scaled to 3 runtimes, 2 trainers in %d ms:%n%s%n",
        Duration.between(s0, Instant.now()).toMillis(), deployment.lastUpOutput());
    assertTrue(deployment.lastUpOutput().contains("restarting trainer: its configuration changed "
        + "(PROMPTUNE_RUNTIME_TARGETS)"), "the running trainer must be restarted with the runtime list: "
        + deployment.lastUpOutput());
    // The gateway balances over both trainers (its TrainerPool), not only the first.
    String gatewayLog = Files.readString(home.resolve("logs/gateway.log"));
    assertTrue(gatewayLog.contains("trainer pool [127.0.0.1:" + deployment.grpcPort(9103) + ", 127.0.0.1:"
        + (deployment.grpcPort(9103) + 10) + "]"), "the gateway's trainer client must be a pool of both trainers");
    ModelInfo foreign = runtimeInfo(2);
    assertEquals(model.getFingerprint(), runtimeInfo(1).getFingerprint());
    assertNotEquals(model.getFingerprint(), foreign.getFingerprint(), "runtime-3 must serve another model");

    RuntimeCounter counter = RuntimeCounter.forDeployment(deployment);
    long[] base = new long[RUNTIMES.size()];
    for (int r = 0; r < RUNTIMES.size(); r++) {
      base[r] = counter.forwardBackwardCalls(r);
    }

    Instant c0 = Instant.now();
    Map<Integer, String> jobs = new LinkedHashMap<>();
    for (int seed : SEEDS) {
      jobs.put(seed, submit("e2e-scale-concurrent-" + seed, seed));
    }
    // ---- 3. every job running with some steps done, both trainers holding two each, then the evidence and kills
    Map<String, Job> before = awaitAll(jobs.values(), Duration.ofMinutes(3),
        j -> j.getState() == JobState.RUNNING && j.getStep() >= 4);
    // The trainer first, at once: its jobs must still be running when it dies (they are resumed elsewhere).
    deployment.kill9("trainer-2");
    long[] served = new long[RUNTIMES.size()];
    for (int r = 0; r < RUNTIMES.size(); r++) {
      served[r] = counter.forwardBackwardCalls(r) - base[r];
    }
    deployment.kill9("runtime-2");
    long total = served[0] + served[1];
    System.out.printf("[ScaleOutIT] before the kills (%s): ForwardBackward calls served runtime=%d runtime-2=%d"
        + " runtime-3=%d; jobs %s%n", counter.source(), served[0], served[1], served[2],
        before.values().stream().map(j -> j.getWorker() + "@" + j.getStep()).toList());
    assertTrue(total >= 16, "too few calls to judge the balance: " + total);
    assertTrue(4 * served[0] >= total && 4 * served[1] >= total,
        "each runtime must serve at least a quarter of the ForwardBackward calls: " + served[0] + " / " + served[1]);
    assertEquals(0, served[2], "the runtime with another model must get no ForwardBackward call");
    List<String> onTrainer2 = before.values().stream().filter(j -> j.getWorker().startsWith("trainer-2-"))
        .map(Job::getId).toList();
    assertEquals(2, onTrainer2.size(), "two jobs on the killed trainer: " + before.values().stream()
        .map(Job::getWorker).toList());
    for (Job j : before.values()) {
      assertTrue(j.getStep() < STEPS, "killed too late: " + j);
    }
    for (String id : onTrainer2) {
      Job j = getJob(id);
      // Still running there, or already resumed by the survivor (attempts 2) - not finished by the killed one.
      assertTrue(!(Deployment.terminal(j.getState()) && j.getAttempts() == 1),
          "a job of the killed trainer ended before the SIGKILL (make STEPS longer): " + j);
    }

    // ---- 4. all jobs end on the survivors, bit-identical to their lone runs
    for (Map.Entry<Integer, String> e : jobs.entrySet()) {
      List<JobEvent> events = deployment.watchToEnd(e.getValue(), Duration.ofMinutes(4));
      Job j = getJob(e.getValue());
      assertEquals(JobState.SUCCEEDED, j.getState(), j.getReason() + "\n" + events);
      assertEquals(onTrainer2.contains(j.getId()) ? 2 : 1, j.getAttempts(), j.toString());
      assertTrue(j.getWorker().isEmpty() || !j.getWorker().startsWith("trainer-2-"), j.toString());
      PromptVersion v = version(j.getPublishedVersionId());
      PromptVersion ref = references.get(e.getKey());
      assertEquals(ref.getSha256(), v.getSha256(), "seed " + e.getKey() + ": not bit-identical to the lone run");
      assertEquals(ref.getTensor(), v.getTensor());
      assertEquals(ref.getMetricsMap(), v.getMetricsMap());
    }
    System.out.printf("[ScaleOutIT] four concurrent jobs done %d ms after submission; whole test %d ms%n",
        Duration.between(c0, Instant.now()).toMillis(), Duration.between(t0, Instant.now()).toMillis());

    assertEquals(0, counter.forwardBackwardCalls(2) - base[2], "runtime-3 got ForwardBackward calls");
    String trainerLog = Files.readString(home.resolve("logs/trainer.log"));
    assertTrue(trainerLog.contains("serves model fingerprint " + foreign.getFingerprint() + " but the pool serves "
        + model.getFingerprint() + "; OUT OF ROTATION"), "the trainer's pool must log runtime-3 out of rotation");
  }

  // ---------------------------------------------------------------- jobs

  /** TrainerCrashResumeIT's cheap job (prompt length 6, batch 8 of 40 records) with its own seed. */
  static JobSpec spec(String outputPrompt, int seed) {
    return JobSpec.newBuilder()
        .setDataset(dataset.getId())
        .setTaskFormat(TaskFormat.newBuilder().setName("identity").addAllLabels(SentimentData.LABELS))
        .setPromptLength(6)
        .setInit(PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance()))
        .setBatchSize(8)
        .setMaxSteps(STEPS)
        .setEvalInterval(STEPS)
        .setCheckpointInterval(CHECKPOINT_INTERVAL)
        .setSeed(seed)
        .setOutputPrompt(outputPrompt)
        .setTask("sentiment")
        .build();
  }

  private static String submit(String outputPrompt, int seed) {
    return deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec(outputPrompt, seed)).build())
        .getId();
  }

  private static Job getJob(String id) {
    return deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static PromptVersion version(String id) {
    return deployment.registry().getVersion(GetVersionRequest.newBuilder().setVersion(VersionSelector.newBuilder()
        .setVersionId(id)).build());
  }

  /** Polls until every job satisfies {@code done}; fails (naming the laggards) if one ends first or time runs out. */
  private static Map<String, Job> awaitAll(java.util.Collection<String> ids, Duration timeout,
      java.util.function.Predicate<Job> done) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    Map<String, Job> last = new LinkedHashMap<>();
    while (Instant.now().isBefore(deadline)) {
      last.clear();
      for (String id : ids) {
        last.put(id, getJob(id));
      }
      if (last.values().stream().allMatch(done)) {
        return last;
      }
      for (Job j : last.values()) {
        assertTrue(!Deployment.terminal(j.getState()), "a job ended before all four ran: " + j);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("jobs not all running after " + timeout + ": " + last.values());
  }

  // ---------------------------------------------------------------- the foreign runtime

  /**
   * A checkpoint directory with the deployment's generated model ({@code generated:tiny-byt5}, written by the first
   * runtime into its cache) and the lowest mantissa bit of one weight flipped: another model, another fingerprint.
   */
  private static Path foreignModel() throws IOException {
    Path generated;
    try (Stream<Path> dirs = Files.list(home.resolve("model-cache/generated"))) {
      generated = dirs.filter(d -> d.getFileName().toString().startsWith("tiny-byt5-seed") && Files.isDirectory(d))
          .findFirst().orElseThrow(() -> new AssertionError("no generated model under " + home));
    }
    Path dir = Files.createDirectories(home.resolve("foreign-model"));
    try (Stream<Path> files = Files.list(generated)) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      long dataStart = 8 + len.flip().getLong();
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, dataStart);
      b.put(0, (byte) (b.get(0) ^ 1)).position(0); // little-endian: the first byte is the lowest mantissa bits
      ch.write(b, dataStart);
    }
    return dir;
  }

  /**
   * Starts runtime-3 the way the launcher starts an instance (same jar, JVM options and markers, through the
   * launcher's own {@link ProcessSupervisor}), so {@code up --runtimes 3} finds it running and includes it in the
   * clients' PROMPTUNE_RUNTIME_TARGETS, but with PROMPTUNE_MODEL pointing at {@code model}.
   */
  private static void startForeignRuntime(Path model) throws Exception {
    Path root = Path.of(System.getProperty("promptune.root", "../..")).toAbsolutePath().normalize();
    ProcessSupervisor supervisor = new ProcessSupervisor(home);
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx1g",
        "-XX:+UseSerialGC"));
    if (Runtime.version().feature() >= 24) {
      cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
    }
    cmd.addAll(supervisor.markers("runtime-3"));
    cmd.addAll(List.of("-jar", root.resolve("model-runtime/target/quarkus-app/quarkus-run.jar").toString()));
    Map<String, String> env = new HashMap<>();
    env.put("PROMPTUNE_HOME", home.toString());
    env.put("PROMPTUNE_BIND_HOST", "127.0.0.1");
    env.put("OMP_WAIT_POLICY", "PASSIVE");
    env.put("PROMPTUNE_RUNTIME_GRPC_PORT", Integer.toString(runtimeGrpcPort(2)));
    env.put("PROMPTUNE_RUNTIME_HTTP_PORT", Integer.toString(runtimeHttpPort(2)));
    env.put("PROMPTUNE_REGISTRY_PORT", Integer.toString(deployment.grpcPort(9102)));
    env.put("PROMPTUNE_MODEL", model.toString());
    env.put("PROMPTUNE_RUNTIME_BATCHING_ENABLED", "false");
    env.put("QUARKUS_LOG_CATEGORY__IO_PROMPTUNE_RUNTIME_GRPC__LEVEL", "DEBUG");
    ProcessHandle p = supervisor.start("runtime-3", cmd, env);
    System.out.printf("[ScaleOutIT] started runtime-3 (pid %d) on %s%n", p.pid(), model);
  }

  /**
   * The value of a Prometheus text-format sample line: the first token after the labels (an exemplar and its
   * timestamp may follow it: {@code name{...} 36.0 # {trace_id="..."} 1.0 1.796E9}).
   */
  static double sampleValue(String line) {
    String rest = line.substring(line.indexOf('}') + 1).trim();
    return Double.parseDouble(rest.split("\\s+")[0]);
  }

  static int runtimeGrpcPort(int index) {
    return deployment.grpcPort(9101) + 10 * index;
  }

  static int runtimeHttpPort(int index) {
    return deployment.grpcPort(8101) + 10 * index;
  }

  private static ModelInfo runtimeInfo(int index) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", runtimeGrpcPort(index)).usePlaintext().build();
    try {
      return ModelRuntimeGrpc.newBlockingStub(c).withInterceptors(Deployment.bearer(deployment.adminKey()))
          .withDeadlineAfter(30, TimeUnit.SECONDS).getModelInfo(GetModelInfoRequest.getDefaultInstance());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      c.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- runtime-side counts

  /**
   * ForwardBackward calls a runtime instance answered, counted by the runtime itself: its
   * {@code promptune_runtime_rpc_calls_total{rpc="ForwardBackward",code="OK"}} at /q/metrics where the runtime
   * exports it, else its {@code ForwardBackward OK} debug lines in {@code logs/<instance>.log}.
   */
  record RuntimeCounter(boolean metrics) {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static RuntimeCounter forDeployment(Deployment d) {
      return new RuntimeCounter(scrape(0).isPresent());
    }

    String source() {
      return metrics ? "promptune_runtime_rpc_calls_total at /q/metrics" : "'ForwardBackward OK' runtime log lines";
    }

    long forwardBackwardCalls(int index) throws IOException {
      if (metrics) {
        return scrape(index).orElseThrow(() -> new AssertionError(RUNTIMES.get(index) + " exports no RPC counter"));
      }
      Path log = home.resolve("logs").resolve(RUNTIMES.get(index) + ".log");
      if (!Files.exists(log)) {
        return 0;
      }
      try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
        return lines.filter(l -> l.contains("ForwardBackward OK")).count();
      }
    }

    private static java.util.Optional<Long> scrape(int index) {
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + runtimeHttpPort(index) + "/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !r.body().contains("promptune_runtime_rpc_calls_total")) {
          return java.util.Optional.empty();
        }
        double sum = r.body().lines().filter(l -> l.startsWith("promptune_runtime_rpc_calls_total{"))
            .filter(l -> l.contains("rpc=\"ForwardBackward\"") && l.contains("code=\"OK\""))
            .mapToDouble(ScaleOutIT::sampleValue).sum();
        return java.util.Optional.of((long) sum);
      } catch (IOException e) {
        return java.util.Optional.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return java.util.Optional.empty();
      }
    }
  }
}
