package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** What a missing Chromium means for the browser test: a skip locally, a failure where it is required (CI). */
class ChromiumTest {

  @Test
  void missingChromiumFailsWhenRequiredAndSkipsOtherwise(@TempDir Path tmp) {
    Path none = tmp.resolve("no-chromium");
    AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> Chromium.assumeAvailable(none, true));
    assertTrue(e.getMessage().contains(Chromium.REQUIRED_PROPERTY), e.getMessage());
    assertThrows(TestAbortedException.class, () -> Chromium.assumeAvailable(none, false));
  }
}
