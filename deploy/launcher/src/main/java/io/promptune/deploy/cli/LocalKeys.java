package io.promptune.deploy.cli;

import io.promptune.deploy.Launcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * API keys of the local deployment under PROMPTUNE_HOME: {@code gateway/api-keys} holds {@code name:role:sha256}
 * lines the gateway reads (and rereads when they change); {@code gateway/cli.key} optionally holds one key in clear
 * (mode 600) that the CLI uses when no --api-key / PROMPTUNE_API_KEY is given.
 */
public final class LocalKeys {

  private final Path dir;

  public LocalKeys(Path home) {
    this.dir = home.resolve("gateway");
  }

  public static LocalKeys fromEnvironment() {
    return new LocalKeys(Launcher.fromEnvironment(System.out).home());
  }

  public Path keyFile() {
    return dir.resolve("api-keys");
  }

  public Path cliKeyFile() {
    return dir.resolve("cli.key");
  }

  /** A new random key (32 bytes, URL-safe base64, prefixed so it is recognisable in a leak scan). */
  public static String newKey() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return "pt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static String sha256Hex(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Appends {@code name:role:sha256(key)} to the gateway's key file. */
  public void register(String name, String role, String key) throws IOException {
    Files.createDirectories(dir);
    if (!Files.exists(keyFile())) {
      Files.writeString(keyFile(), "# Promptune gateway API keys: name:role:sha256-of-key (promptune keys create)\n",
          StandardOpenOption.CREATE_NEW);
      restrict(keyFile());
    }
    Files.writeString(keyFile(), name + ":" + role + ":" + sha256Hex(key) + "\n", StandardOpenOption.APPEND);
  }

  /** Whether a key of this name is registered already. */
  public boolean has(String name) throws IOException {
    return entries().stream().anyMatch(l -> l.startsWith(name + ":"));
  }

  /** The registered entries (name:role:hash lines). */
  public List<String> entries() throws IOException {
    if (!Files.exists(keyFile())) {
      return List.of();
    }
    return Files.readAllLines(keyFile()).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  /** Keeps {@code key} for the CLI (mode 600). */
  public void saveCliKey(String key) throws IOException {
    Files.createDirectories(dir);
    Files.deleteIfExists(cliKeyFile());
    Files.writeString(cliKeyFile(), key + "\n", StandardOpenOption.CREATE_NEW);
    restrict(cliKeyFile());
  }

  public Optional<String> cliKey() {
    try {
      return Files.isReadable(cliKeyFile()) ? Optional.of(Files.readString(cliKeyFile()).strip())
          .filter(s -> !s.isEmpty()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void restrict(Path p) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | UnsupportedOperationException ignored) {
      // not a POSIX file system: the directory's permissions apply
    }
  }
}
