package io.promptune.runtime.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSpecifierTest {

  @Test
  void hubIds() {
    assertEquals(new ModelSpecifier.HubModel("google/flan-t5-small", "main"),
        ModelSpecifier.parse("google/flan-t5-small"));
    assertEquals(new ModelSpecifier.HubModel("google-t5/t5-small", "a1b2c3"),
        ModelSpecifier.parse("google-t5/t5-small@a1b2c3"));
    assertEquals("google/t5-v1_1-base@refs/pr/1", ModelSpecifier.parse("google/t5-v1_1-base@refs/pr/1").id());
  }

  @Test
  void generatedAndLocal(@TempDir Path dir) {
    assertEquals(new ModelSpecifier.Generated("tiny-byt5"), ModelSpecifier.parse("generated:tiny-byt5"));
    assertInstanceOf(ModelSpecifier.LocalDirectory.class, ModelSpecifier.parse(dir.toString()));
  }

  @Test
  void nonsenseIsExplained() {
    ModelSourceException e = assertThrows(ModelSourceException.class, () -> ModelSpecifier.parse("/no/such/dir"));
    assertTrue(e.getMessage().contains("/no/such/dir"), e.getMessage());
    assertThrows(ModelSourceException.class, () -> ModelSpecifier.parse(" "));
    assertThrows(ModelSourceException.class, () -> ModelSpecifier.parse("generated:"));
    assertThrows(ModelSourceException.class, () -> GeneratedModels.materialize("no-such-model", Path.of("/tmp")));
  }
}
