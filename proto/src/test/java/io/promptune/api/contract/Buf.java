package io.promptune.api.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;

/**
 * The buf CLI pinned in proto/package.json (npm package @bufbuild/buf, which ships the buf binary), installed with
 * {@code npm ci} on first use. Where Node.js is missing, tests using it are skipped with a message, except under CI
 * (environment CI=true), where a missing toolchain fails the build instead of silently dropping the contract checks.
 */
final class Buf {

    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private static Path binary;

    private Buf() {
    }

    /** The proto module's directory (surefire runs tests there; basedir is set when it does not). */
    static Path moduleDir() {
        String basedir = System.getProperty("basedir");
        Path dir = basedir != null ? Path.of(basedir) : Path.of("").toAbsolutePath();
        if (!Files.exists(dir.resolve("buf.yaml"))) {
            throw new IllegalStateException("proto/buf.yaml not found from " + dir);
        }
        return dir;
    }

    static synchronized Path binary() throws IOException, InterruptedException {
        if (binary != null) {
            return binary;
        }
        Path dir = moduleDir();
        Path bin = dir.resolve("node_modules/.bin/buf");
        if (!Files.isExecutable(bin) || !pinnedVersion(dir).equals(installedVersion(dir, bin))) {
            Result npm;
            try {
                npm = run(dir, List.of("npm", "ci", "--no-audit", "--no-fund"), 600);
            } catch (IOException e) {
                npm = new Result(-1, "cannot start npm: " + e.getMessage());
            }
            if (!npm.ok() || !Files.isExecutable(bin)) {
                String why = "buf is not installed and `npm ci` in " + dir + " failed (exit " + npm.exitCode() + "):\n"
                        + npm.output();
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new IllegalStateException(why);
                }
                Assumptions.abort(why);
            }
        }
        binary = bin;
        return bin;
    }

    /** The version package.json pins (an exact version, so that every build lints with the same rules). */
    private static String pinnedVersion(Path dir) throws IOException {
        Matcher m = Pattern.compile("\"@bufbuild/buf\"\\s*:\\s*\"([^\"]+)\"")
                .matcher(Files.readString(dir.resolve("package.json")));
        if (!m.find()) {
            throw new IllegalStateException("proto/package.json does not pin @bufbuild/buf");
        }
        return m.group(1);
    }

    private static String installedVersion(Path dir, Path bin) {
        try {
            return run(dir, List.of(bin.toString(), "--version"), 60).output().strip();
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    /** Runs {@code buf <args>} in {@code workDir}. */
    static Result buf(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(List.of(args));
        return run(workDir, command, 120);
    }

    private static Result run(Path workDir, List<String> command, long timeoutSeconds)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("buf-", ".log");
        try {
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command)
                        + "\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
