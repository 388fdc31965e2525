package io.promptune.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.EnvironmentVersion;
import io.promptune.api.v1.NumberedVersion;
import io.promptune.api.v1.VersionSelector;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class VersionRefsTest {

  private static void rejected(String ref, String part) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VersionRefs.parse(ref));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  @Test
  void parsesTheThreeForms() {
    assertEquals(VersionSelector.newBuilder().setVersionId("0f8e2d6c-1b2a-4c3d-9e8f-7a6b5c4d3e2f").build(),
        VersionRefs.parse("0F8E2D6C-1B2A-4C3D-9E8F-7A6B5C4D3E2F"));
    assertEquals(VersionSelector.newBuilder().setNumbered(NumberedVersion.newBuilder().setPromptName("sentiment")
        .setNumber(3)).build(), VersionRefs.parse("sentiment:3"));
    assertEquals(VersionSelector.newBuilder().setEnvironment(EnvironmentVersion.newBuilder()
        .setPromptName("sentiment").setEnvironment("prod")).build(), VersionRefs.parse(" sentiment@prod "));
  }

  @Test
  void formatsWhatItParses() {
    for (String ref : new String[] {"0f8e2d6c-1b2a-4c3d-9e8f-7a6b5c4d3e2f", "sentiment:3", "a.b_c-d:12",
        "sentiment@prod"}) {
      assertEquals(ref, VersionRefs.format(VersionRefs.parse(ref)));
    }
    assertEquals("x@staging", VersionRefs.format(VersionSelector.newBuilder().setRef("x@staging").build()));
    assertEquals("qa:7", VersionRefs.format(VersionRefs.numbered("qa", 7)));
    UUID id = UUID.fromString("00000000-0000-0000-0000-00000000000a");
    assertEquals("00000000-0000-0000-0000-00000000000a", VersionRefs.format(VersionRefs.id(id)));
    assertThrows(IllegalArgumentException.class, () -> VersionRefs.format(VersionSelector.getDefaultInstance()));
  }

  @Test
  void rejectsWhatTheRegistryWouldReject() {
    rejected("", "empty");
    rejected("sentiment:0", "positive integer");
    rejected("sentiment:-1", "positive integer");
    rejected("sentiment:x", "positive integer");
    rejected("sentiment:", "positive integer");
    rejected(":3", "prompt name");
    rejected("bad name:3", "prompt name");
    rejected("sentiment@", "environment name");
    rejected("@prod", "prompt name");
    rejected("sentiment", "not a version id");
    rejected("1-2-3-4-5", "not a version id");
  }
}
