package io.promptune.common.paging;

import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.PageRequest;
import io.promptune.common.errors.ServiceException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * Page sizes and opaque page tokens: base64url of "v1", the listing's scope (kind and filters) and the cursor (the
 * last key returned). A token is only valid for the listing and filters that issued it, so changing a filter
 * mid-way fails loudly instead of skipping rows. Keyset listings ordered by (time, key) use {@link Keyset}.
 */
public final class PageTokens {

  public static final int DEFAULT_SIZE = 50;
  public static final int MAX_SIZE = 1000;
  private static final String VERSION = "v1";
  private static final char SEP = '\u001f';

  private PageTokens() {}

  /** Where the next page starts: after the row at {@code position} (e.g. micros since epoch) with {@code key}. */
  public record Keyset(long position, String key) {}

  /** 0 means {@value #DEFAULT_SIZE}; sizes above {@value #MAX_SIZE} are capped. */
  public static int size(int requested) {
    if (requested < 0) {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "page.page_size must not be negative, got "
          + requested, Map.of("field", "page.page_size"));
    }
    return requested == 0 ? DEFAULT_SIZE : Math.min(requested, MAX_SIZE);
  }

  public static int size(PageRequest page) {
    return size(page.getPageSize());
  }

  public static String encode(String scope, String cursor) {
    String raw = VERSION + SEP + scope + SEP + cursor;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  public static String encode(String scope, Keyset after) {
    return encode(scope, after.position() + ":" + after.key());
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

  /** Decodes a numeric cursor; null for the first page. */
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

  /** Decodes a keyset cursor made by {@link #encode(String, Keyset)}; null for the first page. */
  public static Keyset decodeKeyset(String token, String scope) {
    String cursor = decode(token, scope);
    if (cursor == null) {
      return null;
    }
    int colon = cursor.indexOf(':');
    if (colon <= 0 || colon == cursor.length() - 1) {
      throw invalid();
    }
    try {
      return new Keyset(Long.parseLong(cursor.substring(0, colon)), cursor.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw invalid();
    }
  }

  private static ServiceException invalid() {
    return new ServiceException(ErrorReason.INVALID_ARGUMENT, "page.page_token was not issued by this listing "
        + "with these filters; start again with an empty token", Map.of("field", "page.page_token"));
  }
}
