package io.promptune.runtime.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.runtime.load.T5Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratedModelsTest {

  /** generated:tiny-byt5 is written once, deterministically, and reported under its generated id. */
  @Test
  void writtenOnceAndDeterministic(@TempDir Path cacheA, @TempDir Path cacheB) throws Exception {
    ModelLocator locator = new ModelLocator(cacheA, java.net.URI.create("http://127.0.0.1:9"), true, null);
    ModelLocator.LocatedModel m = locator.locate("generated:tiny-byt5");
    assertEquals("generated:tiny-byt5", m.modelId());
    Path weights = m.dir().resolve("model.safetensors");
    FileTime written = Files.getLastModifiedTime(weights);
    assertEquals(m.dir(), locator.locate("generated:tiny-byt5").dir());
    assertEquals(written, Files.getLastModifiedTime(weights), "not rewritten");
    T5Checkpoint a = T5Checkpoint.load(m.dir());
    T5Checkpoint b = T5Checkpoint.load(GeneratedModels.materialize("tiny-byt5", cacheB));
    assertEquals(a.fingerprint(), b.fingerprint(), "same name, same weights");
    assertEquals("generated:tiny-byt5", a.config().modelIdHint());
    assertTrue(Files.list(m.dir().getParent()).noneMatch(p -> p.getFileName().toString().contains(".tmp")));
  }
}
