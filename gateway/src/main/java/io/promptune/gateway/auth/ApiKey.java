package io.promptune.gateway.auth;

import io.promptune.api.CallerIdentity.Role;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One configured API key: who it belongs to, its role, and the sha256 of the key itself. The key is never stored,
 * only its hash.
 */
public record ApiKey(String name, Role role, byte[] sha256) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
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
    Role role;
    try {
      role = Role.parse(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("key '" + name + "': role must be viewer, trainer, operator or admin, got '"
          + parts[1].trim() + "'");
    }
    String hex = parts[2].trim();
    if (!HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("key '" + name + "': the third field must be the 64 hex digits of the "
          + "key's sha256 (e.g. printf %s \"$KEY\" | sha256sum), not the key itself");
    }
    return new ApiKey(name, role, HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT)));
  }
}
