package io.promptune.deploy.cli;

import io.promptune.deploy.Launcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The key store of the local deployment under PROMPTUNE_HOME/keys, read by every service:
 * <ul>
 *   <li>{@code api-keys}: {@code name:role:sha256} lines (roles viewer, trainer, operator, admin, service); every
 *       service rereads it when it changes;</li>
 *   <li>{@code cli.key}: optionally one key in clear (mode 600) that the CLI uses when no --api-key /
 *       PROMPTUNE_API_KEY is given;</li>
 *   <li>{@code services/<name>.key}: each service's own key (mode 600), registered as a {@code service} principal
 *       named {@code svc-<name>}; written by {@code up}, so nothing about service identity needs a user's action.</li>
 * </ul>
 * Keys under the old location PROMPTUNE_HOME/gateway/ are moved here on first use.
 */
public final class LocalKeys {

  private final Path dir;
  private final Path legacyDir;

  public LocalKeys(Path home) {
    this.dir = home.resolve("keys");
    this.legacyDir = home.resolve("gateway");
  }

  public static LocalKeys fromEnvironment() {
    return new LocalKeys(Launcher.fromEnvironment(System.out).home());
  }

  public Path keyFile() {
    migrate();
    return dir.resolve("api-keys");
  }

  public Path cliKeyFile() {
    migrate();
    return dir.resolve("cli.key");
  }

  /** Where the service called {@code name} finds its own key. */
  public Path serviceKeyFile(String name) {
    return dir.resolve("services").resolve(name + ".key");
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

  /** Appends {@code name:role:sha256(key)} to the key file. */
  public void register(String name, String role, String key) throws IOException {
    Path file = keyFile();
    Files.createDirectories(dir);
    restrictDir(dir);
    if (!Files.exists(file)) {
      Files.writeString(file, "# Promptune API keys, read by every service: name:role:sha256-of-key "
          + "(promptune keys create)\n", StandardOpenOption.CREATE_NEW);
      restrict(file);
    }
    Files.writeString(file, name + ":" + role + ":" + sha256Hex(key) + "\n", StandardOpenOption.APPEND);
  }

  /** Whether a key of this name is registered already. */
  public boolean has(String name) throws IOException {
    return entries().stream().anyMatch(l -> l.startsWith(name + ":"));
  }

  /** The registered entries (name:role:hash lines). */
  public List<String> entries() throws IOException {
    Path file = keyFile();
    if (!Files.exists(file)) {
      return List.of();
    }
    return Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  /**
   * Makes sure the service {@code name} has a key file whose key is registered as service principal
   * {@code svc-<name>}; a missing or stale pair is replaced. Returns the key file.
   */
  public Path ensureServiceKey(String name) throws IOException {
    Path file = serviceKeyFile(name);
    String principal = "svc-" + name;
    Optional<String> existing = read(file);
    if (existing.isPresent() && entries().contains(principal + ":service:" + sha256Hex(existing.get()))) {
      return file;
    }
    removeEntries(principal);
    String key = newKey();
    Files.createDirectories(file.getParent());
    restrictDir(file.getParent());
    Files.deleteIfExists(file);
    Files.writeString(file, key + "\n", StandardOpenOption.CREATE_NEW);
    restrict(file);
    register(principal, "service", key);
    return file;
  }

  private void removeEntries(String name) throws IOException {
    Path file = keyFile();
    if (!Files.exists(file)) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.strip().startsWith(name + ":")) {
        kept.add(line);
      }
    }
    Path tmp = file.resolveSibling("api-keys.tmp");
    Files.write(tmp, kept);
    restrict(tmp);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Keeps {@code key} for the CLI (mode 600). */
  public void saveCliKey(String key) throws IOException {
    Path file = cliKeyFile();
    Files.createDirectories(dir);
    restrictDir(dir);
    Files.deleteIfExists(file);
    Files.writeString(file, key + "\n", StandardOpenOption.CREATE_NEW);
    restrict(file);
  }

  public Optional<String> cliKey() {
    return read(cliKeyFile());
  }

  private static Optional<String> read(Path file) {
    try {
      return Files.isReadable(file) ? Optional.of(Files.readString(file).strip()).filter(s -> !s.isEmpty())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Moves api-keys and cli.key from PROMPTUNE_HOME/gateway/ (before every service read them) to keys/. */
  private void migrate() {
    for (String f : List.of("api-keys", "cli.key")) {
      Path old = legacyDir.resolve(f);
      Path now = dir.resolve(f);
      if (Files.exists(old) && !Files.exists(now)) {
        try {
          Files.createDirectories(dir);
          Files.move(old, now);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException("cannot move " + old + " to " + now, e);
        }
      }
    }
  }

  private static void restrict(Path p) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | UnsupportedOperationException ignored) {
      // not a POSIX file system: the directory's permissions apply
    }
  }

  private static void restrictDir(Path p) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException | UnsupportedOperationException ignored) {
      // as above
    }
  }
}
