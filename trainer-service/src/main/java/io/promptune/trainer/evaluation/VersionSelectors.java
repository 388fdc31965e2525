package io.promptune.trainer.evaluation;

import io.promptune.api.v1.VersionSelector;

/** Text forms of version selectors for messages. */
final class VersionSelectors {

  private VersionSelectors() {}

  static boolean isSet(VersionSelector s) {
    return switch (s.getSelectorCase()) {
      case VERSION_ID -> !s.getVersionId().isBlank();
      case REF -> !s.getRef().isBlank();
      case NUMBERED -> !s.getNumbered().getPromptName().isBlank();
      case ENVIRONMENT -> !s.getEnvironment().getPromptName().isBlank()
          && !s.getEnvironment().getEnvironment().isBlank();
      case SELECTOR_NOT_SET -> false;
    };
  }

  /** "&lt;id&gt;", "name:3" or "name@prod". */
  static String describe(VersionSelector s) {
    return switch (s.getSelectorCase()) {
      case VERSION_ID -> s.getVersionId();
      case REF -> s.getRef();
      case NUMBERED -> s.getNumbered().getPromptName() + ":" + s.getNumbered().getNumber();
      case ENVIRONMENT -> s.getEnvironment().getPromptName() + "@" + s.getEnvironment().getEnvironment();
      case SELECTOR_NOT_SET -> "(none)";
    };
  }
}
