package io.promptune.runtime.service;

import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.VersionSelector;

/** The one registry call the runtime makes: GetVersion. Throws the registry's StatusRuntimeException. */
public interface RegistryLookup {
  PromptVersion getVersion(VersionSelector selector, boolean omitTensor);
}
