package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The golden files we read are the ones SHA256SUMS describes, and none of them is missing. */
class GoldenFilesTest {

  @Test
  void checksumsMatch() throws Exception {
    Path dir = Golden.dir();
    int checked = 0;
    for (String line : Files.readAllLines(dir.resolve("SHA256SUMS"))) {
      String[] parts = line.trim().split("\\s+\\*?", 2);
      if (parts.length != 2) {
        continue;
      }
      Path f = dir.resolve(parts[1].trim());
      assertTrue(Files.isRegularFile(f), "SHA256SUMS lists " + parts[1].trim() + " but " + f + " is missing");
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
      assertEquals(parts[0], sha, "sha256 of " + f);
      checked++;
    }
    assertEquals(true, checked >= 10, "checked " + checked + " files");
  }
}
