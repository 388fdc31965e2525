package io.promptune.deploy;

import java.nio.file.Path;
import java.util.Map;

/**
 * One service process of the deployment.
 *
 * @param name      short name used in pid and log files ("registry", "runtime", ...)
 * @param module    the Maven module whose Quarkus app is run
 * @param grpcPort  its gRPC port (health, reflection, API)
 * @param httpPort  its HTTP port (/q/health; the gateway's REST API)
 * @param grpcService the fully qualified gRPC service it serves, checked on the health service
 * @param heap      -Xmx for its JVM
 * @param env       environment it needs beyond the shared one (ports, addresses)
 */
public record ServiceSpec(String name, String module, int grpcPort, int httpPort, String grpcService, String heap,
    Map<String, String> env) {

  /** Quarkus' fast-jar runner inside the module's build output. */
  public Path runner(Path root) {
    return root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
  }
}
