package io.promptune.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A command-line tool from an npm package pinned in a module's package.json / package-lock.json (e.g. the Redocly
 * CLI), installed into that module's node_modules with {@code npm ci} on first use. Where Node.js or the registry is
 * missing, the calling test is skipped with the reason, except under CI (environment CI=true), where that fails
 * instead: a contract check must not vanish silently from the build.
 */
public final class NodeTool {

  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  private final Path moduleDir;
  private final Path binary;

  private NodeTool(Path moduleDir, Path binary) {
    this.moduleDir = moduleDir;
    this.binary = binary;
  }

  /**
   * The tool {@code node_modules/.bin/<bin>} of the module in the working directory (surefire runs there), after
   * {@code npm ci} when it is not installed yet.
   */
  public static synchronized NodeTool of(String bin) {
    Path dir = Path.of("").toAbsolutePath();
    if (!Files.exists(dir.resolve("package-lock.json"))) {
      throw new IllegalStateException("no package-lock.json in " + dir);
    }
    Path binary = dir.resolve("node_modules/.bin").resolve(bin);
    if (!Files.isExecutable(binary)) {
      Result npm;
      try {
        npm = run(dir, List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 600);
      } catch (IOException e) {
        npm = new Result(-1, "cannot start npm: " + e.getMessage());
      }
      if (!npm.ok() || !Files.isExecutable(binary)) {
        String why = bin + " is not installed and `npm ci` in " + dir + " failed (exit " + npm.exitCode() + "):\n"
            + npm.output();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
          throw new IllegalStateException(why);
        }
        Assumptions.abort(why);
      }
    }
    return new NodeTool(dir, binary);
  }

  /** Runs the tool with {@code args} in the module's directory. */
  public Result run(Map<String, String> environment, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    return run(moduleDir, command, environment, 300);
  }

  private static Result run(Path dir, List<String> command, Map<String, String> environment, long timeoutSeconds)
      throws IOException {
    Path log = Files.createTempFile("node-tool-", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().putAll(environment);
      Process process = pb.start();
      try {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command) + "\n"
              + Files.readString(log, StandardCharsets.UTF_8));
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
