package io.promptune.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.ErrorReason;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VersionRefTest {

  @Test
  void parsesTheThreeForms() {
    UUID id = UUID.randomUUID();
    assertEquals(new VersionRef.ById(id), VersionRef.parse(id.toString(), "ref"));
    assertEquals(new VersionRef.ById(id), VersionRef.parse(id.toString().toUpperCase(), "ref"));
    assertEquals(new VersionRef.ByNumber("sst2.v1_x", 3), VersionRef.parse("sst2.v1_x:3", "ref"));
    assertEquals(new VersionRef.ByEnvironment("sst2", "prod"), VersionRef.parse("sst2@prod", "ref"));
    assertEquals(new VersionRef.ByNumber("s", 12), VersionRef.parse(" s:12 ", "ref"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "sst2", "sst2:", "sst2:0", "sst2:+1", "sst2:1.5", "sst2:99999999999", ":1",
      "@prod", "sst2@", "sst 2@prod", "a@b:c", "x:y:1", "0-0-0-0-0"})
  void rejectsEverythingElseNamingTheField(String ref) {
    RegistryException e = assertThrows(RegistryException.class, () -> VersionRef.parse(ref, "version.ref"));
    assertEquals(ErrorReason.INVALID_ARGUMENT, e.reason());
    assertTrue(e.getMessage().contains("version.ref"), e.getMessage());
  }
}
