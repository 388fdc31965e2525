package io.promptune.trainer.api;

import io.promptune.trainer.testing.InMemoryRegistry;
import io.promptune.trainer.testing.ToyRuntime;

/** The runtime and registry the Quarkus tests' trainer talks to (over gRPC, via the test services). */
public final class Backends {

  public static final ToyRuntime RUNTIME = new ToyRuntime(8, 97, 5, 8);
  public static final InMemoryRegistry REGISTRY = new InMemoryRegistry();

  private Backends() {}
}
