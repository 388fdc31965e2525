package io.promptune.gateway.json;

import com.google.protobuf.ProtocolMessageEnum;
import com.google.protobuf.Timestamp;
import io.promptune.gateway.errors.ApiError;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Small conversions shared by the JSON mappings: enums as lower-case names, timestamps as ISO-8601, "" as null. */
public final class Protos {

  private Protos() {}

  public static String time(Timestamp t) {
    if (t == null || (t.getSeconds() == 0 && t.getNanos() == 0)) {
      return null;
    }
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
  }

  public static String str(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  public static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** "RANK_CLASSIFICATION" -> "rank_classification"; UNSPECIFIED -> null. */
  public static <E extends Enum<E> & ProtocolMessageEnum> String name(E e) {
    if (e == null || e.name().endsWith("UNSPECIFIED") || e.name().equals("UNRECOGNIZED")) {
      return null;
    }
    return e.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses an enum value case-insensitively; null or blank gives {@code dflt}. Unknown values are a 400 that lists
   * the accepted ones.
   */
  public static <E extends Enum<E>> E parse(Class<E> type, String value, String field, E dflt) {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(v) && !e.name().endsWith("UNSPECIFIED") && !e.name().equals("UNRECOGNIZED")) {
        return e;
      }
    }
    throw ApiError.invalidField(field, "Field '" + field + "' has the unknown value '" + value + "'; use one of "
        + accepted(type) + ".");
  }

  public static <E extends Enum<E>> String accepted(Class<E> type) {
    return Arrays.stream(type.getEnumConstants()).map(Enum::name)
        .filter(n -> !n.endsWith("UNSPECIFIED") && !n.equals("UNRECOGNIZED"))
        .map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
  }
}
