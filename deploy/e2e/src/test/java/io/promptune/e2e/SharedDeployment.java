package io.promptune.e2e;

import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One deployment on the embedded defaults that the end-to-end suites share, so CI brings the system up once for all
 * of them instead of once per class. It starts on first use and is brought down when the whole test run ends (the
 * JUnit root store closes it). A suite asks for it with {@code @ExtendWith(SharedDeployment.class)} and a
 * {@code Deployment} parameter (e.g. of its {@code @BeforeAll}). Suites that kill or reconfigure processes keep their
 * own deployment.
 */
final class SharedDeployment implements ParameterResolver {

  private static final int PORT_OFFSET = 30200;

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Deployment.class;
  }

  /** The shared deployment, up and SERVING. */
  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(Running.class, k -> start(), Running.class).deployment;
  }

  /** Closed by JUnit when the run ends (the root store closes AutoCloseable values). */
  record Running(Deployment deployment) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      deployment.close();
    }
  }

  private static Running start() {
    try {
      Deployment d = new Deployment("shared", Files.createTempDirectory("promptune-e2e-shared"), PORT_OFFSET,
          Map.of());
      d.up();
      return new Running(d);
    } catch (Exception e) {
      throw new IllegalStateException("the shared deployment did not come up", e);
    }
  }
}
