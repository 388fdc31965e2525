package io.promptune.common.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.promptune.api.v1.ErrorReason;
import io.promptune.common.errors.ServiceException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class PageTokensTest {

  static void invalidToken(Executable call) {
    ServiceException e = assertThrows(ServiceException.class, call);
    assertEquals(ErrorReason.INVALID_ARGUMENT, e.reason());
    assertEquals(Map.of("field", "page.page_token"), e.metadata());
  }

  @Test
  void roundTripsWithinItsScope() {
    String token = PageTokens.encode("prompts|sst2", "name-42");
    assertEquals("name-42", PageTokens.decode(token, "prompts|sst2"));
    assertNull(PageTokens.decode("", "prompts|sst2"));
    assertNull(PageTokens.decode(null, "prompts|sst2"));
    assertEquals(17L, PageTokens.decodeLong(PageTokens.encode("audit||", "17"), "audit||"));
    assertNull(PageTokens.decodeLong("", "audit||"));
  }

  @Test
  void keysetCursorsRoundTrip() {
    var after = new PageTokens.Keyset(1_700_000_000_123_456L, "7c9e6679-7425-40de-944b-e07fc1f90ae7");
    assertEquals(after, PageTokens.decodeKeyset(PageTokens.encode("jobs|", after), "jobs|"));
    // keys may hold the separator themselves
    var odd = new PageTokens.Keyset(0, "a:b");
    assertEquals(odd, PageTokens.decodeKeyset(PageTokens.encode("datasets", odd), "datasets"));
    assertNull(PageTokens.decodeKeyset("", "jobs|"));
  }

  @Test
  void rejectsTokensFromElsewhere() {
    String token = PageTokens.encode("prompts|sst2", "x");
    invalidToken(() -> PageTokens.decode(token, "prompts|"));
    invalidToken(() -> PageTokens.decode("%%%", "prompts|"));
    invalidToken(() -> PageTokens.decode(PageTokens.encode("s", ""), "s"));
    invalidToken(() -> PageTokens.decodeLong(PageTokens.encode("s", "abc"), "s"));
    invalidToken(() -> PageTokens.decodeKeyset(PageTokens.encode("s", "12"), "s"));
    invalidToken(() -> PageTokens.decodeKeyset(PageTokens.encode("s", "x:key"), "s"));
    invalidToken(() -> PageTokens.decodeKeyset(PageTokens.encode("s", "12:"), "s"));
    invalidToken(() -> PageTokens.decodeKeyset(PageTokens.encode("jobs|RUNNING", new PageTokens.Keyset(1, "k")),
        "jobs|"));
  }

  @Test
  void sizes() {
    assertEquals(50, PageTokens.size(0));
    assertEquals(7, PageTokens.size(7));
    assertEquals(1000, PageTokens.size(5000));
    ServiceException e = assertThrows(ServiceException.class, () -> PageTokens.size(-1));
    assertEquals(ErrorReason.INVALID_ARGUMENT, e.reason());
    assertEquals(Map.of("field", "page.page_size"), e.metadata());
  }
}
