package io.promptune.registry.service;

import io.promptune.registry.domain.RegistryException;

/** Messages used by more than one service. */
final class Errors {

  private Errors() {}

  static RegistryException promptNotFound(String name) {
    return RegistryException.notFound("prompt '" + name + "' does not exist");
  }
}
