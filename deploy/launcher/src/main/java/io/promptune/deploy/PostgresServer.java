package io.promptune.deploy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The PostgreSQL server of one data directory, found the way {@code pg_ctl} finds it (the {@code postmaster.pid}
 * file in the data directory) and checked by asking the server that answers on its port which data directory it
 * serves. The launcher's embedded database is watched and stopped through this, not through the JVM that started
 * it: that JVM can die (or be killed) while the server lives on, and the server can die under a live JVM.
 */
public final class PostgresServer {

  /** What {@code postmaster.pid} says: the postmaster's pid, its data directory and its port. */
  public record PidFile(long pid, Path dataDirectory, int port) {}

  /**
   * The answer of {@link #verify}: {@code ours} when the server on the port serves this data directory and its
   * backend is a child of the postmaster in {@code postmaster.pid}; otherwise {@code detail} says what answers
   * there instead (nothing, another data directory, something that is not PostgreSQL, ...).
   */
  public record Verdict(boolean ours, boolean answered, String detail) {}

  private final Path dataDirectory;

  public PostgresServer(Path dataDirectory) {
    this.dataDirectory = dataDirectory.toAbsolutePath().normalize();
  }

  public Path dataDirectory() {
    return dataDirectory;
  }

  /** {@code <data>/postmaster.pid}, if present and readable. */
  public Optional<PidFile> pidFile() {
    try {
      List<String> lines = Files.readAllLines(dataDirectory.resolve("postmaster.pid"));
      if (lines.size() < 4) {
        return Optional.empty(); // being written
      }
      return Optional.of(new PidFile(Long.parseLong(lines.get(0).trim()), Path.of(lines.get(1).trim()),
          Integer.parseInt(lines.get(3).trim())));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The live postmaster of this data directory: the pid in {@code postmaster.pid}, alive, and a postgres process
   * that works in this directory (the postmaster changes into its data directory; a recycled pid does not).
   */
  public Optional<ProcessHandle> postmaster() {
    return pidFile().flatMap(f -> ProcessHandle.of(f.pid())).filter(ProcessHandle::isAlive)
        .filter(this::servesThisDirectory);
  }

  private boolean servesThisDirectory(ProcessHandle h) {
    try {
      Path cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "cwd"));
      if (sameFile(cwd, dataDirectory)) {
        return true;
      }
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // no /proc (or not ours to read): fall back to the command line
    }
    String cmd = h.info().commandLine().orElse("");
    return h.info().command().orElse("").endsWith("postgres") && cmd.contains(dataDirectory.toString());
  }

  /** The port this data directory's server listens on, from {@code postmaster.pid}, if it runs. */
  public Optional<Integer> port() {
    return postmaster().flatMap(p -> pidFile()).map(PidFile::port);
  }

  /** Whether anything accepts TCP connections on 127.0.0.1:{@code port}. */
  public static boolean portInUse(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Connects to 127.0.0.1:{@code port} as the embedded superuser and checks that the server answering is this data
   * directory's: {@code data_directory} is this directory and the backend serving the connection is a child of
   * the postmaster named in {@code postmaster.pid}.
   */
  public Verdict verify(int port) {
    Properties props = new Properties();
    props.setProperty("user", EmbeddedDatabase.USER);
    props.setProperty("password", EmbeddedDatabase.PASSWORD);
    props.setProperty("connectTimeout", "3");
    props.setProperty("socketTimeout", "5");
    props.setProperty("loginTimeout", "5");
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    String served;
    long backend;
    Optional<Long> parent;
    try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_setting('data_directory'), pg_backend_pid()")) {
      rs.next();
      served = rs.getString(1);
      backend = rs.getLong(2);
      // while the connection is open: its backend exits when it closes
      parent = ProcessHandle.of(backend).flatMap(ProcessHandle::parent).map(ProcessHandle::pid);
    } catch (SQLException e) {
      boolean answered = portInUse(port);
      return new Verdict(false, answered, answered
          ? "the server on port " + port + " refused our check (" + e.getMessage() + "): not our PostgreSQL"
          : "nothing answers on port " + port);
    }
    if (!sameFile(Path.of(served), dataDirectory)) {
      return new Verdict(false, true, "port " + port + " is served by another PostgreSQL (data directory "
          + served + ", not " + dataDirectory + ")");
    }
    Optional<PidFile> f = pidFile();
    if (f.isEmpty() || parent.isEmpty() || parent.get() != f.get().pid()) {
      return new Verdict(false, true, "the server on port " + port + " reports data directory " + served
          + " but its backend (pid " + backend + ") is not a child of the postmaster in postmaster.pid ("
          + f.map(p -> Long.toString(p.pid())).orElse("missing") + ")");
    }
    return new Verdict(true, true, "PostgreSQL pid " + f.get().pid() + " on port " + port + " serving "
        + dataDirectory);
  }

  /** {@link #verify} against the port in {@code postmaster.pid}; not ours when no postmaster of ours runs. */
  public Verdict verify() {
    Optional<ProcessHandle> pm = postmaster();
    if (pm.isEmpty()) {
      return new Verdict(false, false, "no PostgreSQL server runs for " + dataDirectory);
    }
    return pidFile().map(f -> verify(f.port()))
        .orElseGet(() -> new Verdict(false, false, "postmaster.pid of " + dataDirectory + " unreadable"));
  }

  /**
   * Stops this data directory's server the way {@code pg_ctl stop -m fast} does: SIGINT (fast shutdown: cancel
   * sessions, checkpoint, exit), then SIGKILL to it and its children if it has not exited after {@code grace}.
   * True if a server was running.
   */
  public boolean stop(Duration grace) {
    Optional<ProcessHandle> pm = postmaster();
    if (pm.isEmpty()) {
      return killLeftovers();
    }
    ProcessHandle p = pm.get();
    signal(p.pid(), "INT");
    Instant deadline = Instant.now().plus(grace);
    while (p.isAlive() && Instant.now().isBefore(deadline)) {
      sleep(100);
    }
    if (p.isAlive()) {
      List<ProcessHandle> children = p.children().toList();
      p.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
      waitGone(p, Duration.ofSeconds(10));
      children.forEach(c -> waitGone(c, Duration.ofSeconds(10)));
    }
    killLeftovers();
    return true;
  }

  /**
   * Processes working in this data directory: the postmaster and its children (they inherit its working
   * directory), also those a SIGKILLed postmaster left behind.
   */
  public List<ProcessHandle> processes() {
    return ProcessHandle.allProcesses().filter(h -> {
      try {
        return sameFile(Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "cwd")), dataDirectory);
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }).toList();
  }

  /**
   * After its postmaster was SIGKILLed, backends notice and exit on their own within moments; until they have, a
   * new server refuses to start ("pre-existing shared memory block is still in use"). Waits for them briefly, then
   * SIGKILLs what is left. True if there was anything.
   */
  private boolean killLeftovers() {
    List<ProcessHandle> left = processes();
    if (left.isEmpty()) {
      return false;
    }
    Instant deadline = Instant.now().plusSeconds(5);
    while (left.stream().anyMatch(ProcessHandle::isAlive) && Instant.now().isBefore(deadline)) {
      sleep(100);
    }
    left.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    left.forEach(h -> waitGone(h, Duration.ofSeconds(10)));
    return true;
  }

  private static void waitGone(ProcessHandle p, Duration d) {
    Instant deadline = Instant.now().plus(d);
    while (p.isAlive() && Instant.now().isBefore(deadline)) {
      sleep(50);
    }
  }

  private static void signal(long pid, String signal) {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    } catch (IOException e) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy); // SIGTERM: PostgreSQL's smart shutdown
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (IOException e) {
      return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
  }
}
