package io.promptune.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts processes detached from the launcher (own session, output to a log file), remembers them in pid
 * files under {@code <home>/run}, and stops exactly those. Each process carries {@code -Dpromptune.home} and
 * {@code -Dpromptune.process} on its command line, so a recycled pid is never mistaken for ours.
 */
public final class ProcessSupervisor {

  private final Path home;

  public ProcessSupervisor(Path home) {
    this.home = home;
  }

  public Path runDir() {
    return home.resolve("run");
  }

  public Path logDir() {
    return home.resolve("logs");
  }

  public Path logFile(String name) {
    return logDir().resolve(name + ".log");
  }

  private Path pidFile(String name) {
    return runDir().resolve(name + ".pid");
  }

  /** The JVM options that tag a process as ours. */
  public List<String> markers(String name) {
    return List.of("-Dpromptune.home=" + home, "-Dpromptune.process=" + name);
  }

  /**
   * Starts {@code command} (whose JVM options must include {@link #markers}) in its own session with the given
   * extra environment; stdout and stderr go to {@code <home>/logs/<name>.log}.
   */
  public ProcessHandle start(String name, List<String> command, Map<String, String> env) throws IOException {
    Files.createDirectories(runDir());
    Files.createDirectories(logDir());
    List<String> full = new ArrayList<>();
    full.add("setsid"); // own session: a closed terminal or Ctrl-C in the shell does not take it down
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(name).toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    Files.writeString(pidFile(name), Long.toString(p.pid()));
    awaitExec(p.toHandle(), name);
    return p.toHandle();
  }

  /**
   * The JDK starts a child through a helper (jspawnhelper) that then execs the command. Until that exec the process
   * does not carry our markers, and {@link #find} would report a just-started service as gone: wait (bounded) for it.
   */
  private void awaitExec(ProcessHandle h, String name) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(5).toNanos();
    while (h.isAlive() && !isOurs(h, name) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The live process recorded under {@code name}, if it is still ours. */
  public Optional<ProcessHandle> find(String name) {
    Path f = pidFile(name);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(f).trim());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> isOurs(h, name));
  }

  private boolean isOurs(ProcessHandle h, String name) {
    List<String> markers = markers(name);
    for (int attempt = 0; attempt < 3; attempt++) {
      String cmd = commandLine(h);
      if (!cmd.isEmpty()) {
        return markers.stream().allMatch(cmd::contains);
      }
      if (!h.isAlive()) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /**
   * The process's command line. The JDK's {@code ProcessHandle.Info} sometimes has none for a live process (seen
   * for a shell while it forks), which made a running service look gone; /proc then still has it.
   */
  private static String commandLine(ProcessHandle h) {
    Optional<String> jdk = h.info().commandLine();
    if (jdk.isPresent()) {
      return jdk.get();
    }
    try {
      return Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline")).replace('\0', ' ').strip();
    } catch (IOException | java.io.UncheckedIOException e) {
      return "";
    }
  }

  /** SIGTERM, then SIGKILL after {@code grace}; removes the pid file. True if a process was stopped. */
  public boolean stop(String name, Duration grace) {
    Optional<ProcessHandle> h = find(name);
    boolean stopped = false;
    if (h.isPresent()) {
      ProcessHandle p = h.get();
      List<ProcessHandle> children = p.descendants().toList();
      p.destroy();
      if (!waitForExit(p, grace)) {
        p.destroyForcibly();
        waitForExit(p, Duration.ofSeconds(5));
      }
      // A service's own children (e.g. the postgres server under its JVM) go with it.
      for (ProcessHandle c : children) {
        if (c.isAlive()) {
          c.destroy();
          if (!waitForExit(c, Duration.ofSeconds(10))) {
            c.destroyForcibly();
          }
        }
      }
      stopped = true;
    }
    try {
      Files.deleteIfExists(pidFile(name));
    } catch (IOException ignored) {
      // a stale pid file is harmless: find() checks the process itself
    }
    return stopped;
  }

  private static boolean waitForExit(ProcessHandle p, Duration d) {
    try {
      p.onExit().get(d.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (Exception e) {
      return !p.isAlive();
    }
  }

  /** Last {@code lines} lines of a process's log. */
  public List<String> tail(String name, int lines) {
    try {
      List<String> all = Files.readAllLines(logFile(name));
      return all.subList(Math.max(0, all.size() - lines), all.size());
    } catch (IOException e) {
      return List.of();
    }
  }
}
