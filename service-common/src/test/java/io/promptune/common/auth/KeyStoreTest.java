package io.promptune.common.auth;

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

class KeyStoreTest {

  @Test
  void parsesEntriesAndRejectsBadOnesWithoutEchoingSecrets() {
    // sha256("s3cret"), computed with: printf %s s3cret | sha256sum
    ApiKey k = ApiKey.parse("ci-bot:trainer:1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0");
    assertEquals(Principal.user("ci-bot", Role.TRAINER), k.principal());
    var store = new KeyStore(List.of("ci-bot:trainer:" + k.hex()), List.of());
    assertEquals("ci-bot", store.authenticate("s3cret").orElseThrow().name());
    ApiKey s = ApiKey.parse("svc-trainer:service:" + "0".repeat(64));
    assertTrue(s.principal().service());
    var e = assertThrows(IllegalArgumentException.class, () -> ApiKey.parse("bob:operator:s3cret"));
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ApiKey.parse("bob:king:" + "0".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> ApiKey.parse("bob:" + "0".repeat(64)));
  }

  @Test
  void hashesKeysAsSha256Hex() {
    // The FIPS 180-2 example: sha256("abc").
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", KeyHashing.sha256Hex("abc"));
  }

  @Test
  void authenticatesByHashAndRereadsKeyFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keys");
    var store = new KeyStore(List.of("alice:admin:" + KeyHashing.sha256Hex("alice-key")), List.of(file));
    assertEquals("alice", store.authenticate("alice-key").orElseThrow().name());
    assertTrue(store.authenticate("bob-key").isEmpty());
    Files.writeString(file, "# team keys\nbob:viewer:" + KeyHashing.sha256Hex("bob-key") + "\nbroken line\n");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
    // The store rereads at most every 2 s; poll for the new key rather than sleeping a fixed time.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (store.authenticate("bob-key").isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(Role.VIEWER, store.authenticate("bob-key").orElseThrow().role());
    assertEquals("alice", store.authenticate("alice-key").orElseThrow().name());
  }

  @Test
  void aBadInlineEntryStopsTheService() {
    assertThrows(IllegalStateException.class, () -> new KeyStore(List.of("x:y"), List.of()));
  }
}
