package io.promptune.trainer.db;

import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.PageRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Page sizes and opaque keyset page tokens ("time-micros:key" in URL-safe base64). */
public final class Paging {

  public static final int DEFAULT_SIZE = 50;
  public static final int MAX_SIZE = 1000;

  private Paging() {}

  public static int size(PageRequest page) {
    int n = page.getPageSize();
    if (n < 0) {
      throw ApiErrors.invalid(ErrorReason.INVALID_ARGUMENT, "page_size must be >= 0");
    }
    return n == 0 ? DEFAULT_SIZE : Math.min(n, MAX_SIZE);
  }

  /** Position after which the next page starts: a time (micros since epoch) and a tiebreak key. */
  public record Cursor(long micros, String key) {}

  public static String token(long micros, String key) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((micros + ":" + key).getBytes(StandardCharsets.UTF_8));
  }

  /** Null for the first page. */
  public static Cursor cursor(String token) {
    if (token == null || token.isEmpty()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      int colon = s.indexOf(':');
      return new Cursor(Long.parseLong(s.substring(0, colon)), s.substring(colon + 1));
    } catch (RuntimeException e) {
      throw ApiErrors.invalid(ErrorReason.INVALID_ARGUMENT, "page_token is not one this service handed out");
    }
  }

  /** For sequence-numbered lists (job events): the next sequence to return. */
  public static String sequenceToken(long nextSequence) {
    return token(0, Long.toString(nextSequence));
  }

  public static long sequence(String token) {
    Cursor c = cursor(token);
    if (c == null) {
      return 0;
    }
    try {
      return Long.parseLong(c.key());
    } catch (NumberFormatException e) {
      throw ApiErrors.invalid(ErrorReason.INVALID_ARGUMENT, "page_token is not one this service handed out");
    }
  }
}
