package io.promptune.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.CallerIdentity.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyRegistryTest {

  @Test
  void parsesEntriesAndRejectsBadOnesWithoutEchoingSecrets() {
    ApiKey k = ApiKey.parse("ci-bot:trainer:" + KeyHashing.sha256Hex("s3cret"));
    assertEquals("ci-bot", k.name());
    assertEquals(Role.TRAINER, k.role());
    var e = assertThrows(IllegalArgumentException.class, () -> ApiKey.parse("bob:operator:s3cret"));
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ApiKey.parse("bob:king:" + KeyHashing.sha256Hex("x")));
    assertThrows(IllegalArgumentException.class, () -> ApiKey.parse("bob:" + KeyHashing.sha256Hex("x")));
  }

  @Test
  void authenticatesByHashAndRereadsKeyFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keys");
    var reg = new ApiKeyRegistry(List.of("alice:admin:" + KeyHashing.sha256Hex("alice-key")),
        List.of(file.toString()));
    assertEquals("alice", reg.authenticate("alice-key").orElseThrow().name());
    assertTrue(reg.authenticate("bob-key").isEmpty());
    Files.writeString(file, "# team keys\nbob:viewer:" + KeyHashing.sha256Hex("bob-key") + "\nbroken line\n");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (reg.authenticate("bob-key").isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertEquals(Role.VIEWER, reg.authenticate("bob-key").orElseThrow().role());
    assertEquals("alice", reg.authenticate("alice-key").orElseThrow().name());
  }

  @Test
  void aBadInlineEntryStopsTheGateway() {
    assertThrows(IllegalStateException.class, () -> new ApiKeyRegistry(List.of("x:y"), List.of()));
  }
}
