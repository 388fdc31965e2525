package io.promptune.client;

import io.promptune.api.v1.EnvironmentVersion;
import io.promptune.api.v1.NumberedVersion;
import io.promptune.api.v1.VersionSelector;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The textual version references the registry, gateway and CLI accept, to and from {@link VersionSelector}:
 * {@code "<uuid>"} (a version id), {@code "name:3"} (a prompt's third version) and {@code "name@prod"} (whatever the
 * prompt's prod alias points at when the call is made).
 */
public final class VersionRefs {

  private static final Pattern PROMPT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern ENVIRONMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private VersionRefs() {}

  /** Parses a reference; throws IllegalArgumentException saying which form was expected. */
  public static VersionSelector parse(String ref) {
    String text = ref == null ? "" : ref.strip();
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty version reference; use a version id, \"name:number\" or "
          + "\"name@environment\"");
    }
    int at = text.indexOf('@');
    if (at >= 0) {
      return environment(text.substring(0, at), text.substring(at + 1));
    }
    int colon = text.lastIndexOf(':');
    if (colon >= 0) {
      String digits = text.substring(colon + 1);
      if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9') || digits.length() > 9) {
        throw new IllegalArgumentException("'" + text + "': the version number after ':' must be a positive "
            + "integer");
      }
      return numbered(text.substring(0, colon), Integer.parseInt(digits));
    }
    if (text.length() == 36) {
      try {
        return id(UUID.fromString(text));
      } catch (IllegalArgumentException ignored) {
        // reported below
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not a version id (a UUID), \"name:number\" or "
        + "\"name@environment\"");
  }

  /** The textual form of a selector; a selector that already holds a {@code ref} gives it back as it is. */
  public static String format(VersionSelector selector) {
    return switch (selector.getSelectorCase()) {
      case VERSION_ID -> selector.getVersionId();
      case NUMBERED -> selector.getNumbered().getPromptName() + ":" + selector.getNumbered().getNumber();
      case ENVIRONMENT -> selector.getEnvironment().getPromptName() + "@" + selector.getEnvironment().getEnvironment();
      case REF -> selector.getRef();
      case SELECTOR_NOT_SET -> throw new IllegalArgumentException("the selector names no version");
    };
  }

  public static VersionSelector id(UUID id) {
    return VersionSelector.newBuilder().setVersionId(id.toString().toLowerCase(Locale.ROOT)).build();
  }

  public static VersionSelector numbered(String promptName, int number) {
    requirePrompt(promptName);
    if (number < 1) {
      throw new IllegalArgumentException("a version number is a positive integer (from 1), got " + number);
    }
    return VersionSelector.newBuilder().setNumbered(NumberedVersion.newBuilder().setPromptName(promptName)
        .setNumber(number)).build();
  }

  public static VersionSelector environment(String promptName, String environment) {
    requirePrompt(promptName);
    if (environment == null || !ENVIRONMENT.matcher(environment).matches()) {
      throw new IllegalArgumentException("'" + environment + "' is not an environment name (letters, digits, "
          + "'.', '_', '-'; at most 64)");
    }
    return VersionSelector.newBuilder().setEnvironment(EnvironmentVersion.newBuilder().setPromptName(promptName)
        .setEnvironment(environment)).build();
  }

  private static void requirePrompt(String name) {
    if (name == null || !PROMPT.matcher(name).matches()) {
      throw new IllegalArgumentException("'" + name + "' is not a prompt name (letters, digits, '.', '_', '-'; "
          + "at most 128, starting with a letter or digit)");
    }
  }
}
