package io.promptune.registry.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;

/** The registry's settings (application.properties, prefix {@code promptune.registry}). */
@ConfigMapping(prefix = "promptune.registry")
public interface RegistryConfig {

  /** Environments in promotion order, first to last; synced into registry.environments at start. */
  @WithDefault("dev,staging,prod")
  List<String> environments();

  /** Most rows (virtual tokens) a prompt may have. */
  @WithDefault("4096")
  int maxPromptLength();

  /** Most bytes a prompt tensor may have. */
  @WithDefault("16777216")
  long maxTensorBytes();
}
