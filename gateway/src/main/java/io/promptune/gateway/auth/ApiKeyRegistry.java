package io.promptune.gateway.auth;

import io.promptune.gateway.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The API keys the deployer configured: inline entries ({@code promptune.gateway.api-keys}) and key files
 * ({@code promptune.gateway.api-key-files}), which are reread when they change so keys can be added or revoked
 * without a restart. Keys are looked up by their sha256; neither keys nor hashes are ever logged.
 */
@ApplicationScoped
public class ApiKeyRegistry {

  private static final Logger LOG = Logger.getLogger(ApiKeyRegistry.class);
  private static final long RECHECK_NANOS = 2_000_000_000L;

  private final List<ApiKey> inline;
  private final List<Path> files;
  private volatile Snapshot snapshot;

  private record Snapshot(Map<String, ApiKey> byHash, Map<Path, String> fileStamps, long checkedAt) {}

  @jakarta.inject.Inject
  public ApiKeyRegistry(GatewayConfig config) {
    this(config.apiKeys().orElse(List.of()), config.apiKeyFiles().orElse(List.of()));
  }

  ApiKeyRegistry(List<String> inlineEntries, List<String> keyFiles) {
    List<ApiKey> parsed = new ArrayList<>();
    for (String entry : inlineEntries) {
      if (entry.isBlank()) {
        continue;
      }
      try {
        parsed.add(ApiKey.parse(entry));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("promptune.gateway.api-keys: " + e.getMessage());
      }
    }
    this.inline = List.copyOf(parsed);
    this.files = keyFiles.stream().filter(s -> !s.isBlank()).map(Path::of).toList();
    this.snapshot = load();
    LOG.infof("API keys: %d inline, %d from %s", inline.size(), snapshot.byHash.size() - inline.size(), files);
  }

  /** The key whose sha256 matches, if any. */
  public Optional<ApiKey> authenticate(String presented) {
    Snapshot s = current();
    byte[] hash = KeyHashing.sha256(presented);
    ApiKey k = s.byHash.get(java.util.HexFormat.of().formatHex(hash));
    return k != null && MessageDigest.isEqual(k.sha256(), hash) ? Optional.of(k) : Optional.empty();
  }

  /** Whether any key is configured at all (to tell the caller what is wrong). */
  public boolean isEmpty() {
    return current().byHash.isEmpty();
  }

  private Snapshot current() {
    Snapshot s = snapshot;
    if (!files.isEmpty() && System.nanoTime() - s.checkedAt > RECHECK_NANOS) {
      synchronized (this) {
        s = snapshot;
        if (System.nanoTime() - s.checkedAt > RECHECK_NANOS) {
          s = stamps().equals(s.fileStamps) ? new Snapshot(s.byHash, s.fileStamps, System.nanoTime()) : load();
          if (s.byHash.size() != snapshot.byHash.size() || !s.fileStamps.equals(snapshot.fileStamps)) {
            LOG.infof("API key files changed: %d keys now", s.byHash.size());
          }
          snapshot = s;
        }
      }
    }
    return s;
  }

  private Map<Path, String> stamps() {
    Map<Path, String> m = new HashMap<>();
    for (Path f : files) {
      try {
        FileTime t = Files.getLastModifiedTime(f);
        m.put(f, t.toMillis() + "/" + Files.size(f));
      } catch (IOException e) {
        m.put(f, "absent");
      }
    }
    return m;
  }

  private Snapshot load() {
    Map<Path, String> stamps = stamps();
    Map<String, ApiKey> byHash = new HashMap<>();
    for (ApiKey k : inline) {
      byHash.put(java.util.HexFormat.of().formatHex(k.sha256()), k);
    }
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        continue;
      }
      List<String> lines;
      try {
        lines = Files.readAllLines(f);
      } catch (IOException e) {
        LOG.warnf("cannot read API key file %s: %s", f, e.getMessage());
        continue;
      }
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        try {
          ApiKey k = ApiKey.parse(line);
          byHash.put(java.util.HexFormat.of().formatHex(k.sha256()), k);
        } catch (IllegalArgumentException e) {
          LOG.warnf("%s:%d ignored: %s", f, i + 1, e.getMessage());
        }
      }
    }
    return new Snapshot(Map.copyOf(byHash), stamps, System.nanoTime());
  }
}
