package io.promptune.common.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The API keys every service accepts: inline entries and key files of {@code name:role:sha256hex} lines ('#'
 * comments). Files are reread within two seconds of a change, so keys are added or revoked without a restart (a
 * mounted Kubernetes Secret updates the same way). Keys are looked up by their sha256; neither keys nor hashes are
 * ever logged.
 */
public final class KeyStore {

  private static final Logger LOG = Logger.getLogger(KeyStore.class);
  private static final long RECHECK_NANOS = 2_000_000_000L;

  private final List<ApiKey> inline;
  private final List<Path> files;
  private volatile Snapshot snapshot;

  private record Snapshot(Map<String, ApiKey> byHash, Map<Path, String> fileStamps, long checkedAt) {}

  /** Throws IllegalStateException naming the bad inline entry (a configuration error stops the start). */
  public KeyStore(List<String> inlineEntries, List<Path> keyFiles) {
    List<ApiKey> parsed = new ArrayList<>();
    for (String entry : inlineEntries) {
      if (entry.isBlank()) {
        continue;
      }
      try {
        parsed.add(ApiKey.parse(entry));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("promptune.auth.keys: " + e.getMessage());
      }
    }
    this.inline = List.copyOf(parsed);
    this.files = List.copyOf(keyFiles);
    this.snapshot = load();
    LOG.infof("API keys: %d inline, %d from %s", inline.size(), snapshot.byHash.size() - inline.size(), files);
  }

  /** The principal whose key's sha256 matches, if any. */
  public Optional<Principal> authenticate(String presented) {
    byte[] hash = KeyHashing.sha256(presented);
    ApiKey k = current().byHash.get(HexFormat.of().formatHex(hash));
    return k != null && MessageDigest.isEqual(k.sha256(), hash) ? Optional.of(k.principal()) : Optional.empty();
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
          Map<Path, String> stamps = stamps();
          if (stamps.equals(s.fileStamps)) {
            s = new Snapshot(s.byHash, s.fileStamps, System.nanoTime());
          } else {
            s = load();
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
        m.put(f, Files.getLastModifiedTime(f).toMillis() + "/" + Files.size(f));
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
      byHash.put(k.hex(), k);
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
          byHash.put(k.hex(), k);
        } catch (IllegalArgumentException e) {
          LOG.warnf("%s:%d ignored: %s", f, i + 1, e.getMessage());
        }
      }
    }
    return new Snapshot(Map.copyOf(byHash), stamps, System.nanoTime());
  }
}
