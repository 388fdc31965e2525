package io.promptune.registry.domain;

import java.util.Locale;
import java.util.UUID;

/** Picks one version: by id, by prompt name + number, or by whatever a prompt's environment alias points at. */
public sealed interface VersionRef {

  record ById(UUID id) implements VersionRef {}

  record ByNumber(String promptName, int number) implements VersionRef {}

  record ByEnvironment(String promptName, String environment) implements VersionRef {}

  /** Parses the textual forms "&lt;uuid&gt;", "name:3" and "name@prod". */
  static VersionRef parse(String ref, String field) {
    String text = ref == null ? "" : ref.strip();
    if (text.isEmpty()) {
      throw RegistryException.invalid(field, field + " is empty; use a version id, \"name:number\" or "
          + "\"name@environment\"");
    }
    int at = text.indexOf('@');
    if (at >= 0) {
      String name = text.substring(0, at);
      String env = text.substring(at + 1);
      Names.requirePromptName(name, field);
      Names.requireEnvironmentName(env, field);
      return new ByEnvironment(name, env);
    }
    int colon = text.lastIndexOf(':');
    if (colon >= 0) {
      String name = text.substring(0, colon);
      String digits = text.substring(colon + 1);
      Names.requirePromptName(name, field);
      int number;
      try {
        number = Integer.parseInt(digits);
      } catch (NumberFormatException e) {
        number = -1;
      }
      if (number < 1 || !digits.chars().allMatch(Character::isDigit)) {
        throw RegistryException.invalid(field, field + " '" + text + "': the version number after ':' must be a "
            + "positive integer");
      }
      return new ByNumber(name, number);
    }
    return new ById(parseId(text, field, "; use a version id, \"name:number\" or \"name@environment\""));
  }

  /** A version id; throws INVALID_ARGUMENT naming {@code field} when it is not a UUID. */
  static UUID parseId(String text, String field) {
    return parseId(text, field, "");
  }

  private static UUID parseId(String text, String field, String hint) {
    String t = text == null ? "" : text.strip();
    // UUID.fromString accepts shortened groups ("1-2-3-4-5"); insist on the canonical 36-character form.
    if (t.length() == 36) {
      try {
        return UUID.fromString(t.toLowerCase(Locale.ROOT));
      } catch (IllegalArgumentException ignored) {
        // fall through to the error below
      }
    }
    throw RegistryException.invalid(field, field + " '" + t + "' is not a version id (a UUID)" + hint);
  }
}
