package io.promptune.deploy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Brings the deployment up and down on one machine: an embedded PostgreSQL (unless PROMPTUNE_DB_URL names a
 * server) and the four services as separate JVMs, each detached and tracked by pid file under
 * {@code PROMPTUNE_HOME} (default {@code <root>/.promptune}).
 */
public final class Launcher {

  static final String POSTGRES = "postgres";

  /** What {@link #status()} reports for one process. */
  public record ProcessStatus(String name, long pid, String health, String endpoint) {
    public boolean serving() {
      return "SERVING".equals(health);
    }
  }

  private final Path root;
  private final Path home;
  private final Topology topology;
  private final ProcessSupervisor supervisor;
  private final io.promptune.deploy.cli.LocalKeys keys;
  private final Map<String, String> environment;
  private final PrintStream out;

  public Launcher(Path root, Path home, Map<String, String> environment, PrintStream out) {
    this.root = root.toAbsolutePath().normalize();
    this.home = home.toAbsolutePath().normalize();
    this.environment = Map.copyOf(environment);
    this.topology = new Topology(environment::get);
    this.supervisor = new ProcessSupervisor(this.home);
    this.keys = new io.promptune.deploy.cli.LocalKeys(this.home);
    this.out = out;
  }

  /** The launcher for this process: root from -Dpromptune.root, home from PROMPTUNE_HOME. */
  public static Launcher fromEnvironment(PrintStream out) {
    Path root = Path.of(Optional.ofNullable(System.getProperty("promptune.root"))
        .or(() -> Optional.ofNullable(System.getenv("PROMPTUNE_ROOT"))).orElse("."));
    Path home = Optional.ofNullable(System.getenv("PROMPTUNE_HOME")).filter(s -> !s.isBlank()).map(Path::of)
        .orElse(root.resolve(".promptune"));
    return new Launcher(root, home, System.getenv(), out);
  }

  public Path home() {
    return home;
  }

  public ProcessSupervisor supervisor() {
    return supervisor;
  }

  /** The number of model runtimes and trainers of this deployment. */
  public record Scale(int runtimes, int trainers) {
    public static final Scale ONE = new Scale(1, 1);
  }

  private Path scaleFile() {
    return supervisor.runDir().resolve("scale");
  }

  /** The scale the last {@code up} recorded ({@code run/scale}), one of each if none. */
  public Scale scale() {
    try {
      String[] v = Files.readString(scaleFile()).trim().split("\\s+");
      return new Scale(Integer.parseInt(v[0]), Integer.parseInt(v[1]));
    } catch (IOException | RuntimeException e) {
      return Scale.ONE;
    }
  }

  /** The services at the recorded scale, in start order. */
  public List<ServiceSpec> services() {
    Scale sc = scale();
    return topology.services(sc.runtimes(), sc.trainers());
  }

  /** {@link #up(Duration, Integer, Integer)} at the recorded scale. */
  public List<ProcessStatus> up(Duration timeout) throws IOException, InterruptedException {
    return up(timeout, null, null);
  }

  /**
   * Starts whatever is not running yet and waits until every service reports SERVING. On failure, stops what
   * this call started and throws with the failing service's log tail.
   */
  public List<ProcessStatus> up(Duration timeout, Integer runtimes, Integer trainers)
      throws IOException, InterruptedException {
    Files.createDirectories(home);
    Scale recorded = scale();
    Scale scale = new Scale(runtimes != null ? runtimes : recorded.runtimes(),
        trainers != null ? trainers : recorded.trainers());
    List<ServiceSpec> services = topology.services(scale.runtimes(), scale.trainers()); // validates first
    Files.createDirectories(supervisor.runDir());
    Files.writeString(scaleFile(), scale.runtimes() + " " + scale.trainers() + "\n");
    stopInstancesBeyond(services);
    restartReconfigured(services);
    List<String> startedNow = new ArrayList<>();
    Map<String, Long> logStarts = new HashMap<>();
    try {
      String dbUrl = ensureDatabase(startedNow);
      Map<String, String> shared = sharedEnvironment(dbUrl);
      for (ServiceSpec s : services) {
        if (supervisor.find(s.name()).isPresent()) {
          continue;
        }
        Path runner = s.runner(root);
        if (!Files.isRegularFile(runner)) {
          throw new IllegalStateException(s.module() + " is not built (" + runner + " missing). Run: ./mvnw -q "
              + "package -DskipTests (./promptune up does this for you)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.add("-Xmx" + s.heap());
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(quietJdkWarnings());
        cmd.addAll(supervisor.markers(s.name()));
        cmd.add("-jar");
        cmd.add(runner.toString());
        Map<String, String> env = new HashMap<>(shared);
        env.putAll(s.env());
        // Each service authenticates to the others with its own key (a service principal), made here if missing.
        env.put("PROMPTUNE_SERVICE_KEY_FILE", keys.ensureServiceKey(s.name()).toString());
        if (s.module().equals("trainer-service")) {
          // Job.worker names the instance and, being new for every process, tells a resumed attempt's worker apart.
          env.putIfAbsent("PROMPTUNE_TRAINER_WORKER_ID", s.name() + "-" + java.util.HexFormat.of().formatHex(
              java.security.SecureRandom.getSeed(3)));
        }
        logStarts.put(s.name(), logSize(s.name()));
        supervisor.start(s.name(), cmd, env);
        recordEnvironment(s);
        startedNow.add(s.name());
        out.println("started " + s.name() + " (log: " + supervisor.logFile(s.name()) + ")");
      }
      awaitServing(services, timeout, logStarts);
      return status();
    } catch (IOException | RuntimeException | InterruptedException e) {
      for (int i = startedNow.size() - 1; i >= 0; i--) {
        supervisor.stop(startedNow.get(i), Duration.ofSeconds(10));
      }
      throw e;
    }
  }

  /** The first step of {@link #up}: the database (started if needed) and its JDBC URL. */
  public String upDatabase() throws IOException, InterruptedException {
    Files.createDirectories(home);
    return ensureDatabase(new ArrayList<>());
  }

  /** The embedded server's data directory and the checks made on it. */
  public PostgresServer embeddedServer() {
    return new PostgresServer(home.resolve("pgdata"));
  }

  /**
   * The database URL for the services. The embedded server is checked by asking it (not by looking at the JVM
   * that started it): a live, verified server is reused; a dead or unresponsive one is stopped and started again;
   * a port held by anything else fails {@code up} with a message that says so.
   */
  /** The port of the embedded server's last start (recorded by the launcher), if any. */
  private static Optional<Integer> previousPort(Path urlFile) {
    try {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(":(\\d+)/").matcher(Files.readString(urlFile));
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private String ensureDatabase(List<String> startedNow) throws IOException, InterruptedException {
    String external = topology.externalDbUrl();
    if (external != null) {
      out.println("database: " + external + " (PROMPTUNE_DB_URL)");
      return external;
    }
    PostgresServer server = embeddedServer();
    Path ready = supervisor.runDir().resolve("postgres.url");
    Optional<ProcessHandle> wrapper = supervisor.find(POSTGRES);
    PostgresServer.Verdict v = server.verify();
    if (v.ours()) {
      if (wrapper.isEmpty()) {
        out.println("embedded PostgreSQL (" + v.detail() + ") runs without its launcher process; using it");
      }
      return jdbcUrl(server.port().orElseThrow());
    }
    if (wrapper.isPresent() || server.postmaster().isPresent()) {
      out.println("embedded PostgreSQL is not healthy (" + v.detail() + "); restarting it");
      supervisor.stop(POSTGRES, Duration.ofSeconds(30));
      server.stop(Duration.ofSeconds(30));
    }
    int port = topology.embeddedDbPort();
    Path lastPort = supervisor.runDir().resolve("postgres.port");
    if (port == 0 && services().stream().anyMatch(s -> supervisor.find(s.name()).isPresent())) {
      // "Any free port" the first time; a restart under running services comes back on the same one, since they
      // hold the old URL. (The URL file goes with the server's wrapper process; this one stays.)
      port = previousPort(lastPort).orElse(0);
    }
    if (port > 0) {
      EmbeddedDatabase.refuseTakenPort(server, port);
    }
    Files.createDirectories(supervisor.runDir());
    Files.deleteIfExists(ready);
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.add("-Xmx128m");
    cmd.addAll(quietJdkWarnings());
    cmd.addAll(supervisor.markers(POSTGRES));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(EmbeddedPostgresMain.class.getName());
    cmd.add(server.dataDirectory().toString());
    cmd.add(Integer.toString(port));
    cmd.add(ready.toString());
    ProcessHandle pg = supervisor.start(POSTGRES, cmd, Map.of());
    startedNow.add(POSTGRES);
    out.println("starting embedded PostgreSQL (data: " + server.dataDirectory() + ")");
    Instant deadline = Instant.now().plusSeconds(120);
    while (!Files.exists(ready)) {
      if (!pg.isAlive()) {
        throw new IllegalStateException("embedded PostgreSQL exited during start:\n"
            + String.join("\n", supervisor.tail(POSTGRES, 30)));
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("embedded PostgreSQL did not start within 120 s; see "
            + supervisor.logFile(POSTGRES));
      }
      Thread.sleep(200);
    }
    // The launcher checks for itself that the server it hands to the services is the one it started.
    PostgresServer.Verdict started = server.verify();
    if (!started.ours()) {
      throw new IllegalStateException("embedded PostgreSQL did not start: " + started.detail());
    }
    String url = jdbcUrl(server.port().orElseThrow());
    Files.writeString(lastPort, url);
    return url;
  }

  private static String jdbcUrl(int port) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + EmbeddedDatabase.DATABASE;
  }

  private Map<String, String> sharedEnvironment(String dbUrl) {
    Map<String, String> env = new HashMap<>();
    env.put("PROMPTUNE_DB_URL", dbUrl);
    env.putIfAbsent("PROMPTUNE_DB_USER", environment.getOrDefault("PROMPTUNE_DB_USER", EmbeddedDatabase.USER));
    env.putIfAbsent("PROMPTUNE_DB_PASSWORD",
        environment.getOrDefault("PROMPTUNE_DB_PASSWORD", EmbeddedDatabase.PASSWORD));
    env.put("PROMPTUNE_HOME", home.toString());
    env.put("PROMPTUNE_BIND_HOST", topology.bindHost());
    // One BLAS/OpenMP pool per process that sleeps when idle instead of spinning against the other JVMs.
    env.putIfAbsent("OMP_WAIT_POLICY", environment.getOrDefault("OMP_WAIT_POLICY", "PASSIVE"));
    return env;
  }

  /** {@link ServingWait} over the services' gRPC health, failing at once for a process that exited or failed. */
  private void awaitServing(List<ServiceSpec> services, Duration timeout, Map<String, Long> logStarts)
      throws InterruptedException {
    try {
      new ServingWait(services, s -> HealthProbe.check("127.0.0.1", s.grpcPort(), s.grpcService()), s -> {
        Optional<ProcessHandle> p = supervisor.find(s.name());
        if (p.isEmpty() || failedToStart(s.name(), logStarts.get(s.name()))) {
          throw new IllegalStateException(s.name() + (p.isEmpty() ? " exited" : " failed") + " during start. Last "
              + "log lines (" + supervisor.logFile(s.name()) + "):\n"
              + String.join("\n", supervisor.tail(s.name(), 40)));
        }
      }, out, Duration.ofMillis(500)).await(timeout);
    } catch (ServingWait.Timeout e) {
      throw new IllegalStateException(e.getMessage() + "\nlogs: " + supervisor.logDir(), e);
    }
  }

  private long logSize(String name) {
    try {
      return Files.size(supervisor.logFile(name));
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Quarkus can log a failed start and keep its JVM alive (e.g. a non-daemon thread); look for that in what this
   * start wrote to the log, so {@code up} fails at once instead of waiting out its timeout.
   */
  private boolean failedToStart(String name, Long logStart) {
    if (logStart == null) {
      return false;
    }
    try (var in = Files.newInputStream(supervisor.logFile(name))) {
      in.skipNBytes(Math.min(logStart, Files.size(supervisor.logFile(name))));
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
          .contains("Failed to start application");
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops the services (in reverse start order) and the embedded database. Returns what was stopped. */
  public List<String> down() {
    List<String> stopped = new ArrayList<>();
    List<String> names = new ArrayList<>(services().stream().map(ServiceSpec::name).toList());
    names.addAll(recordedServiceNames().stream().filter(n -> !names.contains(n)).toList());
    java.util.Collections.reverse(names);
    for (String name : names) {
      if (supervisor.stop(name, Duration.ofSeconds(20))) {
        stopped.add(name);
      }
    }
    // The launcher process asks its server to stop; if that process is gone (or the server outlived it), the
    // server is stopped directly through its data directory's postmaster.pid.
    boolean pg = supervisor.stop(POSTGRES, Duration.ofSeconds(30));
    pg |= embeddedServer().stop(Duration.ofSeconds(30));
    if (pg) {
      stopped.add(POSTGRES);
    }
    try {
      Files.deleteIfExists(scaleFile()); // the next plain `up` starts one of each again
    } catch (IOException ignored) {
      // harmless: the next `up` overwrites it
    }
    return stopped;
  }

  /** Names with a pid file under run/, the database's excluded. */
  private List<String> recordedServiceNames() {
    try (var files = Files.list(supervisor.runDir())) {
      return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".pid"))
          .map(f -> f.substring(0, f.length() - 4)).filter(n -> !n.equals(POSTGRES)).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** {@code run/<name>.env}: the launcher-made part of a process's environment (ports, addresses, runtime targets). */
  private Path specFile(String name) {
    return supervisor.runDir().resolve(name + ".env");
  }

  /** Writes {@code run/<name>.env} for a process just started with {@code s}'s environment. */
  void recordEnvironment(ServiceSpec s) throws IOException {
    Files.createDirectories(supervisor.runDir());
    Files.writeString(specFile(s.name()), specText(s.env()));
  }

  private static String specText(Map<String, String> env) {
    StringBuilder sb = new StringBuilder();
    new java.util.TreeMap<>(env).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    return sb.toString();
  }

  /**
   * Stops running services whose launcher-made environment differs from what this {@code up} gives them, so that
   * they start again with it: above all the trainers and the gateway when the number of runtimes changed (they read
   * PROMPTUNE_RUNTIME_TARGETS once, at start). A process without a recorded environment (started by an older
   * launcher, or by hand) is left alone. The stop is a SIGTERM: trainers checkpoint and hand their jobs back.
   * Returns the names stopped; {@link #up} starts them again.
   */
  List<String> restartReconfigured(List<ServiceSpec> wanted) throws IOException {
    List<String> stopped = new ArrayList<>();
    for (ServiceSpec s : wanted) {
      Path f = specFile(s.name());
      if (supervisor.find(s.name()).isEmpty() || !Files.exists(f)) {
        continue;
      }
      String recorded = Files.readString(f);
      String now = specText(s.env());
      if (!recorded.equals(now)) {
        Set<String> was = new HashSet<>(recorded.lines().toList());
        Set<String> is = new HashSet<>(now.lines().toList());
        java.util.SortedSet<String> changed = new java.util.TreeSet<>();
        java.util.stream.Stream.concat(was.stream().filter(l -> !is.contains(l)),
            is.stream().filter(l -> !was.contains(l))).forEach(l -> changed.add(l.substring(0, l.indexOf('='))));
        out.println("restarting " + s.name() + ": its configuration changed (" + String.join(", ", changed) + ")");
        supervisor.stop(s.name(), Duration.ofSeconds(30));
        stopped.add(s.name());
      }
    }
    return stopped;
  }

  /** Stops runtime and trainer instances that an {@code up} with a smaller scale no longer wants. */
  private void stopInstancesBeyond(List<ServiceSpec> wanted) {
    Set<String> names = new HashSet<>(wanted.stream().map(ServiceSpec::name).toList());
    for (String n : recordedServiceNames()) {
      if (!names.contains(n) && supervisor.stop(n, Duration.ofSeconds(20))) {
        out.println("stopped " + n + " (beyond the requested scale)");
      }
    }
  }

  public List<ProcessStatus> status() {
    List<ProcessStatus> result = new ArrayList<>();
    if (topology.externalDbUrl() == null) {
      result.add(databaseStatus());
    }
    for (ServiceSpec s : services()) {
      Optional<ProcessHandle> p = supervisor.find(s.name());
      String health = p.isEmpty() ? "STOPPED" : HealthProbe.check("127.0.0.1", s.grpcPort(), s.grpcService());
      String endpoint = "grpc 127.0.0.1:" + s.grpcPort() + "  http http://127.0.0.1:" + s.httpPort();
      result.add(new ProcessStatus(s.name(), p.map(ProcessHandle::pid).orElse(-1L), health, endpoint));
    }
    return result;
  }

  /**
   * The embedded server as it really is: SERVING when it answers and proves to be this deployment's server,
   * NOT_SERVING when its postmaster lives but does not answer (or something else answers), STOPPED otherwise. The pid
   * is the postmaster's.
   */
  private ProcessStatus databaseStatus() {
    PostgresServer server = embeddedServer();
    Optional<ProcessHandle> pm = server.postmaster();
    if (pm.isEmpty()) {
      return new ProcessStatus(POSTGRES, -1, "STOPPED", "-");
    }
    int port = server.port().orElse(-1);
    PostgresServer.Verdict v = server.verify(port);
    return new ProcessStatus(POSTGRES, pm.get().pid(), v.ours() ? "SERVING" : "NOT_SERVING",
        v.ours() ? jdbcUrl(port) : v.detail());
  }

  /**
   * Netty, protobuf and DJL use sun.misc.Unsafe and native libraries; JDK 24+ warns about both on every start.
   * They are expected here, so the warnings are turned off rather than filling every log.
   */
  static List<String> quietJdkWarnings() {
    return Runtime.version().feature() >= 24
        ? List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow")
        : List.of();
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command().orElse("java");
  }
}
