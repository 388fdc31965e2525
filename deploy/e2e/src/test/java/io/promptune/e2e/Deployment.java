package io.promptune.e2e;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.promptune.deploy.cli.LocalKeys;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.DataChunk;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.ListJobEventsResponse;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.UploadDatasetRequest;
import io.promptune.api.v1.WatchJobRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One deployment of the whole system as real processes, brought up through the real launcher ({@link Cli}), with
 * gRPC channels to the runtime, the registry and the trainer. Each test class passes its own port offset, so two
 * deployments (or a developer's own) never share a port. On failure the processes' log tails are printed and the
 * logs copied to {@code target/e2e-logs/<name>/}, so a CI failure can be read without the machine.
 */
final class Deployment implements AutoCloseable {

  private final String name;
  private final Path home;
  private final int portOffset;
  private final Cli cli;
  private ManagedChannel runtimeChannel;
  private ManagedChannel registryChannel;
  private ManagedChannel trainerChannel;
  private String adminKey;
  private String lastUpOutput = "";

  Deployment(String name, Path home, int portOffset, Map<String, String> extraEnv) {
    this.name = name;
    this.home = home;
    this.portOffset = portOffset;
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("PROMPTUNE_PORT_OFFSET", Integer.toString(portOffset));
    this.cli = new Cli(home, Map.copyOf(env));
  }

  Path home() {
    return home;
  }

  Cli cli() {
    return cli;
  }

  /** What the last {@link #up} printed. */
  String lastUpOutput() {
    return lastUpOutput;
  }

  int grpcPort(int defaultPort) {
    return defaultPort + portOffset;
  }

  /** An HTTP port of this deployment (the gateway's is {@code httpPort(8080)}). */
  int httpPort(int defaultPort) {
    return defaultPort + portOffset;
  }

  /** {@code promptune up}: starts what is not running and waits until every service is SERVING. */
  Deployment up() throws IOException, InterruptedException {
    return up(new String[0]);
  }

  /** {@code promptune up <args>} (e.g. {@code --runtimes 2 --trainers 2}), then as {@link #up()}. */
  Deployment up(String... args) throws IOException, InterruptedException {
    adminKey(); // registered before the services start, so they know it from their first call
    Instant t0 = Instant.now();
    List<String> cmd = new ArrayList<>(List.of("up", "--timeout", "180"));
    cmd.addAll(List.of(args));
    Cli.Result up = cli.run(cmd.toArray(String[]::new));
    lastUpOutput = up.output();
    if (up.exitCode() != 0) {
      keepLogs();
      throw new AssertionError("promptune up failed (exit " + up.exitCode() + "):\n" + up.output() + "\n"
          + logTails(80));
    }
    System.out.printf("[%s] promptune up took %d ms%n", name, Duration.between(t0, Instant.now()).toMillis());
    if (runtimeChannel == null) {
      runtimeChannel = channel(9101);
      registryChannel = channel(9102);
      trainerChannel = channel(9103);
    }
    return this;
  }

  /**
   * After a service was restarted: reconnect at once instead of waiting out the back-off the channels built up
   * while it was down.
   */
  void resetConnectBackoff() {
    for (ManagedChannel c : new ManagedChannel[] {runtimeChannel, registryChannel, trainerChannel}) {
      if (c != null) {
        c.resetConnectBackoff();
      }
    }
  }

  Cli.Result down() throws IOException, InterruptedException {
    return cli.run("down");
  }

  @Override
  public void close() throws Exception {
    for (ManagedChannel c : new ManagedChannel[] {runtimeChannel, registryChannel, trainerChannel}) {
      if (c != null) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    Cli.Result down = down();
    System.out.printf("[%s] promptune down: exit %d%n%s%n", name, down.exitCode(), down.output());
    List<Long> left = cli.ourProcesses();
    if (!left.isEmpty()) {
      System.out.printf("[%s] WARNING: processes left after down: %s%n", name, left);
    }
  }

  /**
   * An admin key of this deployment (registered in PROMPTUNE_HOME/keys/api-keys like `promptune keys create` does),
   * which the test's own gRPC calls present.
   */
  String adminKey() throws IOException {
    if (adminKey == null) {
      String key = LocalKeys.newKey();
      new LocalKeys(home).register("e2e-admin", "admin", key);
      adminKey = key;
    }
    return adminKey;
  }

  /**
   * A key with {@code role} named {@code name}, registered now. Services reread the key file within seconds; this
   * returns once the gateway accepts the key (the gRPC services reread on the same schedule).
   */
  String createKey(String name, String role) throws IOException {
    String key = LocalKeys.newKey();
    new LocalKeys(home).register(name, role, key);
    var http = java.net.http.HttpClient.newHttpClient();
    var whoami = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + httpPort(8080) + "/v1/whoami"))
        .header("Authorization", "Bearer " + key).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try {
      while (http.send(whoami, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 401) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the gateway did not pick up key '" + name + "' within 30 s");
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return key;
  }

  /** The plain channel to a service's gRPC port ({@code 9101}, {@code 9102}, {@code 9103}), no credential attached. */
  ManagedChannel rawChannel(int defaultPort) {
    return switch (defaultPort) {
      case 9101 -> runtimeChannel;
      case 9102 -> registryChannel;
      case 9103 -> trainerChannel;
      default -> throw new IllegalArgumentException("no channel for port " + defaultPort);
    };
  }

  static ClientInterceptor bearer(String key) {
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    return MetadataUtils.newAttachHeadersInterceptor(m);
  }

  private Channel authed(ManagedChannel c) {
    try {
      return ClientInterceptors.intercept(c, bearer(adminKey()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private ManagedChannel channel(int defaultPort) {
    return NettyChannelBuilder.forAddress("127.0.0.1", grpcPort(defaultPort)).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
  }

  ModelRuntimeGrpc.ModelRuntimeBlockingStub runtime() {
    return ModelRuntimeGrpc.newBlockingStub(authed(runtimeChannel)).withDeadlineAfter(120, TimeUnit.SECONDS);
  }

  PromptRegistryGrpc.PromptRegistryBlockingStub registry() {
    return PromptRegistryGrpc.newBlockingStub(authed(registryChannel)).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  TrainerGrpc.TrainerBlockingStub trainer() {
    return TrainerGrpc.newBlockingStub(authed(trainerChannel)).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- processes

  /** The pid the launcher recorded for a process ({@code $PROMPTUNE_HOME/run/<name>.pid}), checked to be ours. */
  ProcessHandle process(String service) throws IOException {
    long pid = Long.parseLong(Files.readString(home.resolve("run").resolve(service + ".pid")).strip());
    ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(service + " (pid " + pid
        + ") is not running"));
    String cmd = h.info().commandLine().orElse("");
    if (!cmd.contains("-Dpromptune.home=" + home) || !cmd.contains("-Dpromptune.process=" + service)) {
      throw new AssertionError("pid " + pid + " is not our " + service + ": " + cmd);
    }
    return h;
  }

  /** The embedded PostgreSQL server itself (its postmaster, from {@code pgdata/postmaster.pid}), checked to be ours. */
  ProcessHandle postmaster() {
    return new io.promptune.deploy.PostgresServer(home.resolve("pgdata")).postmaster()
        .orElseThrow(() -> new AssertionError("no PostgreSQL server runs for " + home.resolve("pgdata")));
  }

  /** SIGKILL (destroyForcibly) the service's process and wait until it is gone. */
  void kill9(String service) throws Exception {
    ProcessHandle h = process(service);
    if (!h.destroyForcibly()) {
      throw new AssertionError("could not SIGKILL " + service + " (pid " + h.pid() + ")");
    }
    h.onExit().get(30, TimeUnit.SECONDS);
    System.out.printf("[%s] SIGKILLed %s (pid %d)%n", name, service, h.pid());
  }

  // ---------------------------------------------------------------- trainer helpers

  /** UploadDataset over the real client stream: a header, then the files in chunks of at most 16 KiB. */
  Dataset uploadJsonl(String datasetName, String train, String validation) throws Exception {
    CompletableFuture<Dataset> answer = new CompletableFuture<>();
    StreamObserver<UploadDatasetRequest> up = TrainerGrpc.newStub(authed(trainerChannel))
        .withDeadlineAfter(60, TimeUnit.SECONDS).uploadDataset(new StreamObserver<>() {
          @Override
          public void onNext(Dataset d) {
            answer.complete(d);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            answer.completeExceptionally(new AssertionError("UploadDataset completed without a dataset"));
          }
        });
    up.onNext(UploadDatasetRequest.newBuilder().setHeader(DatasetHeader.newBuilder().setName(datasetName)
        .setFormat(DatasetFormat.JSONL).setDescription("e2e " + name)).build());
    sendChunks(up, Split.TRAIN, train);
    if (validation != null) {
      sendChunks(up, Split.VALIDATION, validation);
    }
    up.onCompleted();
    try {
      return answer.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw s;
      }
      throw e;
    }
  }

  private static void sendChunks(StreamObserver<UploadDatasetRequest> up, Split split, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int chunk = 16 * 1024;
    for (int off = 0; off < bytes.length; off += chunk) {
      up.onNext(UploadDatasetRequest.newBuilder().setChunk(DataChunk.newBuilder().setSplit(split)
          .setData(ByteString.copyFrom(bytes, off, Math.min(chunk, bytes.length - off)))).build());
    }
  }

  static boolean terminal(JobState s) {
    return s == JobState.SUCCEEDED || s == JobState.FAILED || s == JobState.CANCELLED;
  }

  /**
   * WatchJob from sequence 1 until the stream ends (the job ended and every event was sent); returns all events.
   * Fails if it takes longer than {@code timeout}.
   */
  List<JobEvent> watchToEnd(String jobId, Duration timeout) {
    List<JobEvent> events = new ArrayList<>();
    Iterator<JobEvent> it = TrainerGrpc.newBlockingStub(authed(trainerChannel)).withWaitForReady()
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).setFromSequence(0).build());
    try {
      while (it.hasNext()) {
        events.add(it.next());
      }
    } catch (StatusRuntimeException e) {
      throw new AssertionError("WatchJob " + jobId + " broke after " + events.size() + " events: " + e.getStatus()
          + "\nlast events: " + tail(events, 5), e);
    }
    return events;
  }

  /** Every stored event of a job, all pages of ListJobEvents. */
  List<JobEvent> listEvents(String jobId) {
    List<JobEvent> all = new ArrayList<>();
    String token = "";
    do {
      ListJobEventsResponse r = trainer().listJobEvents(ListJobEventsRequest.newBuilder().setJobId(jobId)
          .setPage(PageRequest.newBuilder().setPageSize(1000).setPageToken(token)).build());
      all.addAll(r.getEventsList());
      token = r.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  /** Polls GetJob every 50 ms until {@code done} holds; fails with the last answer after {@code timeout}. */
  Job awaitJob(String jobId, Duration timeout, String what, java.util.function.Predicate<Job> done)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    Job j = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        j = trainer().withDeadlineAfter(5, TimeUnit.SECONDS).getJob(GetJobRequest.newBuilder().setJobId(jobId)
            .build());
        if (done.test(j)) {
          return j;
        }
      } catch (StatusRuntimeException e) {
        // trainer restarting: keep polling until the deadline
      }
      Thread.sleep(50);
    }
    throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; job: " + j);
  }

  static String tail(List<?> l, int n) {
    return l.subList(Math.max(0, l.size() - n), l.size()).toString();
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- diagnostics

  /** The last {@code lines} lines of every process log under PROMPTUNE_HOME/logs. */
  String logTails(int lines) {
    StringBuilder sb = new StringBuilder();
    Path logs = home.resolve("logs");
    if (!Files.isDirectory(logs)) {
      return "(no logs under " + logs + ")";
    }
    try (Stream<Path> files = Files.list(logs)) {
      for (Path f : files.sorted().toList()) {
        List<String> all = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).lines().toList();
        sb.append("\n===== ").append(f.getFileName()).append(" (last ").append(Math.min(lines, all.size()))
            .append(" of ").append(all.size()).append(" lines) =====\n");
        for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) {
          sb.append(l).append('\n');
        }
      }
    } catch (IOException e) {
      sb.append("(could not read logs: ").append(e).append(")");
    }
    return sb.toString();
  }

  /** Copies the process logs to {@code target/e2e-logs/<name>/} (the module's build directory). */
  void keepLogs() {
    Path dest = Path.of("target", "e2e-logs", name);
    try (Stream<Path> files = Files.list(home.resolve("logs"))) {
      Files.createDirectories(dest);
      for (Path f : files.toList()) {
        Files.copy(f, dest.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
      System.out.println("[" + name + "] process logs copied to " + dest.toAbsolutePath());
    } catch (IOException e) {
      System.out.println("[" + name + "] could not copy logs: " + e);
    }
  }

  /** Register with {@code @RegisterExtension}: prints the log tails and keeps the logs when a test fails. */
  static final class LogsOnFailure implements TestWatcher {
    private final Supplier<Deployment> deployment;

    LogsOnFailure(Supplier<Deployment> deployment) {
      this.deployment = deployment;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      Deployment d = deployment.get();
      if (d != null) {
        System.out.println("[" + d.name + "] " + context.getDisplayName() + " failed: " + cause
            + "\nprocess logs:" + d.logTails(60));
        d.keepLogs();
      }
    }
  }
}
