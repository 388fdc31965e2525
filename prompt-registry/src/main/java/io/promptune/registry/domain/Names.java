package io.promptune.registry.domain;

import java.util.regex.Pattern;

/** The shapes of names; checked before any query so that a bad name says so instead of "not found". */
public final class Names {

  private static final Pattern PROMPT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern ENVIRONMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private Names() {}

  public static String requirePromptName(String name, String field) {
    if (name == null || name.isEmpty()) {
      throw RegistryException.invalid(field, field + " is required (a prompt name)");
    }
    if (!PROMPT.matcher(name).matches()) {
      throw RegistryException.invalid(field, field + " '" + name + "' is not a valid prompt name: use 1-128 of "
          + "[A-Za-z0-9._-], starting with a letter or digit");
    }
    return name;
  }

  public static String requireEnvironmentName(String name, String field) {
    if (name == null || name.isEmpty()) {
      throw RegistryException.invalid(field, field + " is required (an environment name)");
    }
    if (!ENVIRONMENT.matcher(name).matches()) {
      throw RegistryException.invalid(field, field + " '" + name + "' is not a valid environment name: use 1-64 "
          + "of [A-Za-z0-9._-], starting with a letter or digit");
    }
    return name;
  }
}
