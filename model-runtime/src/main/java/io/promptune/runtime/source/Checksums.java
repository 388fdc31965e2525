package io.promptune.runtime.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The Hub's ETags as checksums: 64 hex digits = sha256 of the content (LFS files, {@code X-Linked-Etag});
 * 40 hex digits = git blob sha1, i.e. sha1("blob " + size + "\0" + content) (small files in git).
 */
final class Checksums {

  static final String SHA256 = "sha256";
  static final String GIT_SHA1 = "git-sha1";

  private Checksums() {}

  /** Strips a weak prefix and quotes: {@code W/"abc"} → {@code abc}, lower case. */
  static String normalizeEtag(String etag) {
    String e = etag == null ? "" : etag.strip();
    if (e.startsWith("W/")) {
      e = e.substring(2);
    }
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
      e = e.substring(1, e.length() - 1);
    }
    return e.toLowerCase(Locale.ROOT);
  }

  /** Which checksum an ETag is, if it is one. */
  static Optional<String> kind(String etag) {
    if (etag.matches("[0-9a-f]{64}")) {
      return Optional.of(SHA256);
    }
    if (etag.matches("[0-9a-f]{40}")) {
      return Optional.of(GIT_SHA1);
    }
    return Optional.empty();
  }

  static String compute(Path file, String kind) throws IOException {
    MessageDigest md = digest(kind.equals(SHA256) ? "SHA-256" : "SHA-1");
    if (kind.equals(GIT_SHA1)) {
      md.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
    }
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** True when {@code file} matches the checksum in {@code etag}; false when it differs or there is none. */
  static boolean matches(Path file, String etag) throws IOException {
    Optional<String> k = kind(etag);
    return k.isPresent() && compute(file, k.get()).equals(etag);
  }

  static String sha256(byte[] data) {
    return HexFormat.of().formatHex(digest("SHA-256").digest(data));
  }

  static String gitSha1(byte[] data) {
    MessageDigest md = digest("SHA-1");
    md.update(("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(md.digest(data));
  }

  private static MessageDigest digest(String alg) {
    try {
      return MessageDigest.getInstance(alg);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
