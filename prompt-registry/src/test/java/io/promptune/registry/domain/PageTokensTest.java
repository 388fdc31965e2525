package io.promptune.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PageTokensTest {

  @Test
  void roundTripsWithinItsScope() {
    String token = PageTokens.encode("prompts|sst2", "name-42");
    assertEquals("name-42", PageTokens.decode(token, "prompts|sst2"));
    assertNull(PageTokens.decode("", "prompts|sst2"));
    assertEquals(17L, PageTokens.decodeLong(PageTokens.encode("audit||", "17"), "audit||"));
  }

  @Test
  void rejectsTokensFromElsewhere() {
    String token = PageTokens.encode("prompts|sst2", "x");
    assertThrows(RegistryException.class, () -> PageTokens.decode(token, "prompts|"));
    assertThrows(RegistryException.class, () -> PageTokens.decode("%%%", "prompts|"));
    assertThrows(RegistryException.class, () -> PageTokens.decode(PageTokens.encode("s", ""), "s"));
    assertThrows(RegistryException.class, () -> PageTokens.decodeLong(PageTokens.encode("s", "abc"), "s"));
  }

  @Test
  void sizes() {
    assertEquals(50, PageTokens.size(0));
    assertEquals(7, PageTokens.size(7));
    assertEquals(1000, PageTokens.size(5000));
    assertThrows(RegistryException.class, () -> PageTokens.size(-1));
  }
}
