package io.promptune.common.auth;

import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One entry of the key store, {@code name:role:sha256hex}: who a key belongs to, its role (viewer, trainer,
 * operator, admin, or service for Promptune's own processes) and the sha256 of the key. The key itself is never
 * stored.
 */
public record ApiKey(Principal principal, byte[] sha256) {

  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{64}");

  /**
   * Parses {@code name:role:sha256hex}. Throws IllegalArgumentException with a message that names the problem but
   * never echoes the hash.
   */
  public static ApiKey parse(String entry) {
    String[] parts = entry.trim().split(":");
    if (parts.length != 3) {
      throw new IllegalArgumentException("expected name:role:sha256-hex (3 fields separated by ':'), got "
          + parts.length + " field(s)");
    }
    String name = parts[0].trim();
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("key name '" + name + "' must be 1-64 of [A-Za-z0-9._@-], starting with a "
          + "letter or digit");
    }
    Principal principal;
    try {
      principal = Principal.parse(name, parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("key '" + name + "': role must be viewer, trainer, operator, admin or "
          + "service, got '" + parts[1].trim() + "'");
    }
    String hex = parts[2].trim();
    if (!HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("key '" + name + "': the third field must be the 64 hex digits of the "
          + "key's sha256 (e.g. printf %s \"$KEY\" | sha256sum), not the key itself");
    }
    return new ApiKey(principal, HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT)));
  }

  public String hex() {
    return HexFormat.of().formatHex(sha256);
  }
}
