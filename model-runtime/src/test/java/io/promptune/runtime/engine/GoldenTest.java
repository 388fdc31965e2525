package io.promptune.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** What a missing golden directory means: a loud skip locally, a failure where the goldens are required (CI). */
class GoldenTest {

  @Test
  void requiredAndMissingFails(@TempDir Path tmp) {
    AssertionFailedError e = assertThrows(AssertionFailedError.class,
        () -> Golden.dir(tmp.resolve("no-such-dir").toString(), true));
    assertTrue(e.getMessage().contains(Golden.REQUIRED_PROPERTY), e.getMessage());
    assertThrows(AssertionFailedError.class, () -> Golden.dir(null, true), "property unset");
    assertThrows(AssertionFailedError.class, () -> Golden.dir(tmp.toString(), true),
        "a directory without the goldens (moved elsewhere)");
  }

  @Test
  void notRequiredAndMissingSkips(@TempDir Path tmp) {
    assertThrows(TestAbortedException.class, () -> Golden.dir(tmp.resolve("no-such-dir").toString(), false));
    assertThrows(TestAbortedException.class, () -> Golden.dir(null, false));
  }

  @Test
  void presentIsReturnedEitherWay(@TempDir Path tmp) throws Exception {
    Files.writeString(tmp.resolve("SHA256SUMS"), "");
    assertEquals(tmp, Golden.dir(tmp.toString(), true));
    assertEquals(tmp, Golden.dir(tmp.toString(), false));
  }
}
