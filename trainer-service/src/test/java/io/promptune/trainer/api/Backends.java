package io.promptune.trainer.api;

import io.promptune.trainer.testing.InMemoryRegistry;
import io.promptune.trainer.testing.ToyRuntime;

/** The runtime and registry the Quarkus tests' trainer talks to (over gRPC, via the test services). */
public final class Backends {

  public static final ToyRuntime RUNTIME = new ToyRuntime(8, 97, 5, 8);
  public static final InMemoryRegistry REGISTRY = new InMemoryRegistry();

  static {
    // Like the real runtime, the toy one serves PromptRef.version by asking the registry (evaluation jobs use it).
    RUNTIME.resolveVersionsWith(sel -> REGISTRY.getVersion(io.promptune.api.v1.GetVersionRequest.newBuilder()
        .setVersion(sel).build(), io.promptune.api.CallerIdentity.SYSTEM).getTensor());
  }

  private Backends() {}
}
