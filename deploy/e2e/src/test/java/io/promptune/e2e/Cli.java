package io.promptune.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code promptune} launcher jar as a separate process with its own PROMPTUNE_HOME and ports
 * shifted by {@link #PORT_OFFSET}, so a test deployment never meets a developer's running one.
 */
final class Cli {

  static final int PORT_OFFSET = 30000;

  record Result(int exitCode, String output) {}

  private final Path root;
  private final Path home;
  private final Map<String, String> extraEnv;

  Cli(Path home) {
    this(home, Map.of());
  }

  Cli(Path home, Map<String, String> extraEnv) {
    this.root = Path.of(System.getProperty("promptune.root", "../..")).toAbsolutePath().normalize();
    this.home = home;
    this.extraEnv = extraEnv;
  }

  int grpcPort(int defaultPort) {
    return defaultPort + PORT_OFFSET;
  }

  int httpPort(int defaultPort) {
    return defaultPort + PORT_OFFSET;
  }

  Result run(String... args) throws IOException, InterruptedException {
    Path jar = root.resolve("deploy/launcher/target/promptune-launcher-0.1.0-SNAPSHOT.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("launcher not built: " + jar);
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Dpromptune.root=" + root);
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PROMPTUNE_"));
    env.put("PROMPTUNE_HOME", home.toString());
    env.put("PROMPTUNE_PORT_OFFSET", Integer.toString(PORT_OFFSET));
    env.put("PROMPTUNE_DB_PORT", "0");
    env.putAll(extraEnv);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("launcher did not finish: " + String.join(" ", args) + "\n" + out);
    }
    return new Result(p.exitValue(), out);
  }

  /** Live processes this launcher home started (their command lines carry -Dpromptune.home=HOME). */
  List<Long> ourProcesses() {
    String marker = "-Dpromptune.home=" + home;
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().orElse("").contains(marker))
        .map(ProcessHandle::pid)
        .toList();
  }

  /** Live postgres server processes whose data directory lies under {@code dir}. */
  List<Long> postgresServersUnder(Path dir) {
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().command().orElse("").endsWith("postgres"))
        .filter(h -> h.info().commandLine().orElse("").contains(dir.toString()))
        .map(ProcessHandle::pid)
        .toList();
  }
}
