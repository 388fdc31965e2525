package io.promptune.e2e;

import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One deployment on the embedded defaults that the end-to-end suites share, so CI brings the system up once for all
 * of them instead of once per class. It starts on first use and is brought down when the whole test run ends (the
 * JUnit root store closes it). Suites that kill or reconfigure processes keep their own deployment.
 */
final class SharedDeployment implements AutoCloseable {

  private static final int PORT_OFFSET = 30200;

  private final Deployment deployment;

  private SharedDeployment(Deployment deployment) {
    this.deployment = deployment;
  }

  /** The shared deployment, up and SERVING. */
  static Deployment get(ExtensionContext context) {
    return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(SharedDeployment.class, k -> start(), SharedDeployment.class).deployment;
  }

  private static SharedDeployment start() {
    try {
      Deployment d = new Deployment("shared", Files.createTempDirectory("promptune-e2e-shared"), PORT_OFFSET,
          Map.of());
      d.up();
      return new SharedDeployment(d);
    } catch (Exception e) {
      throw new IllegalStateException("the shared deployment did not come up", e);
    }
  }

  @Override
  public void close() throws Exception {
    deployment.close();
  }
}
