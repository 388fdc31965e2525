package io.promptune.registry.domain;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque page tokens: base64url of "v1", the listing's scope (kind and filters) and the last key returned. A token
 * is only valid for the listing and filters that issued it, so changing a filter mid-way fails loudly instead of
 * skipping rows.
 */
public final class PageTokens {

  public static final int DEFAULT_SIZE = 50;
  public static final int MAX_SIZE = 1000;
  private static final String VERSION = "v1";
  private static final char SEP = '\u001f';

  private PageTokens() {}

  /** 0 means {@value #DEFAULT_SIZE}; sizes above {@value #MAX_SIZE} are capped. */
  public static int size(int requested) {
    if (requested < 0) {
      throw RegistryException.invalid("page.page_size", "page.page_size must not be negative, got " + requested);
    }
    return requested == 0 ? DEFAULT_SIZE : Math.min(requested, MAX_SIZE);
  }

  public static String encode(String scope, String cursor) {
    String raw = VERSION + SEP + scope + SEP + cursor;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor inside {@code token}, or null for the first page (empty token). */
  public static String decode(String token, String scope) {
    if (token == null || token.isEmpty()) {
      return null;
    }
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid();
    }
    String prefix = VERSION + SEP + scope + SEP;
    if (!raw.startsWith(prefix) || raw.length() == prefix.length()) {
      throw invalid();
    }
    return raw.substring(prefix.length());
  }

  /** Decodes a numeric cursor. */
  public static Long decodeLong(String token, String scope) {
    String cursor = decode(token, scope);
    if (cursor == null) {
      return null;
    }
    try {
      return Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      throw invalid();
    }
  }

  private static RegistryException invalid() {
    return RegistryException.invalid("page.page_token", "page.page_token was not issued by this listing with these "
        + "filters; start again with an empty token");
  }
}
