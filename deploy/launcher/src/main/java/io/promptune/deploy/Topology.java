package io.promptune.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Ports and wiring of the four services, from the environment. Each port has a default, shifted by
 * PROMPTUNE_PORT_OFFSET, and can be set on its own (PROMPTUNE_RUNTIME_GRPC_PORT, ...).
 */
public final class Topology {

  public static final int DEFAULT_DB_PORT = 54329;

  private final Function<String, String> env;
  private final int offset;

  public Topology(Function<String, String> env) {
    this.env = env;
    this.offset = intEnv("PROMPTUNE_PORT_OFFSET", 0);
  }

  public static Topology fromEnvironment() {
    return new Topology(System::getenv);
  }

  private int intEnv(String key, int dflt) {
    String v = env.apply(key);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
    }
  }

  private int port(String key, int dflt) {
    int p = intEnv(key, dflt + offset);
    if (p < 0 || p > 65535) {
      throw new IllegalArgumentException(key + " would be " + p + " (default " + dflt + " + PROMPTUNE_PORT_OFFSET "
          + offset + "), outside 0..65535: choose a smaller offset or set " + key);
    }
    return p;
  }

  public String bindHost() {
    String v = env.apply("PROMPTUNE_BIND_HOST");
    return v == null || v.isBlank() ? "127.0.0.1" : v;
  }

  /** The external database URL, or null when the launcher should run the embedded one. */
  public String externalDbUrl() {
    String v = env.apply("PROMPTUNE_DB_URL");
    return v == null || v.isBlank() ? null : v;
  }

  /**
   * Port of the embedded PostgreSQL: {@value #DEFAULT_DB_PORT} shifted by PROMPTUNE_PORT_OFFSET like every other
   * port, so two deployments with different offsets never share a database; PROMPTUNE_DB_PORT sets it (0 picks a
   * free one).
   */
  public int embeddedDbPort() {
    return port("PROMPTUNE_DB_PORT", DEFAULT_DB_PORT);
  }

  /** The services in start order: the ones others depend on first. */
  public List<ServiceSpec> services() {
    int registryGrpc = port("PROMPTUNE_REGISTRY_GRPC_PORT", 9102);
    int runtimeGrpc = port("PROMPTUNE_RUNTIME_GRPC_PORT", 9101);
    int trainerGrpc = port("PROMPTUNE_TRAINER_GRPC_PORT", 9103);
    int gatewayGrpc = port("PROMPTUNE_GATEWAY_GRPC_PORT", 9104);
    int registryHttp = port("PROMPTUNE_REGISTRY_HTTP_PORT", 8102);
    int runtimeHttp = port("PROMPTUNE_RUNTIME_HTTP_PORT", 8101);
    int trainerHttp = port("PROMPTUNE_TRAINER_HTTP_PORT", 8103);
    int gatewayHttp = port("PROMPTUNE_GATEWAY_HTTP_PORT", 8080);
    String host = "127.0.0.1";
    Map<String, String> addresses = new LinkedHashMap<>();
    addresses.put("PROMPTUNE_RUNTIME_HOST", host);
    addresses.put("PROMPTUNE_RUNTIME_PORT", Integer.toString(runtimeGrpc));
    addresses.put("PROMPTUNE_REGISTRY_HOST", host);
    addresses.put("PROMPTUNE_REGISTRY_PORT", Integer.toString(registryGrpc));
    addresses.put("PROMPTUNE_TRAINER_HOST", host);
    addresses.put("PROMPTUNE_TRAINER_PORT", Integer.toString(trainerGrpc));
    return List.of(
        new ServiceSpec("registry", "prompt-registry", registryGrpc, registryHttp, "promptune.v1.PromptRegistry",
            "384m", with(addresses, "PROMPTUNE_REGISTRY_GRPC_PORT", registryGrpc, "PROMPTUNE_REGISTRY_HTTP_PORT",
                registryHttp)),
        new ServiceSpec("runtime", "model-runtime", runtimeGrpc, runtimeHttp, "promptune.v1.ModelRuntime", "1g",
            with(addresses, "PROMPTUNE_RUNTIME_GRPC_PORT", runtimeGrpc, "PROMPTUNE_RUNTIME_HTTP_PORT",
                runtimeHttp)),
        new ServiceSpec("trainer", "trainer-service", trainerGrpc, trainerHttp, "promptune.v1.Trainer", "512m",
            with(addresses, "PROMPTUNE_TRAINER_GRPC_PORT", trainerGrpc, "PROMPTUNE_TRAINER_HTTP_PORT",
                trainerHttp)),
        new ServiceSpec("gateway", "gateway", gatewayGrpc, gatewayHttp, "", "384m",
            with(addresses, "PROMPTUNE_GATEWAY_GRPC_PORT", gatewayGrpc, "PROMPTUNE_GATEWAY_HTTP_PORT",
                gatewayHttp)));
  }

  private static Map<String, String> with(Map<String, String> base, String k1, int v1, String k2, int v2) {
    Map<String, String> m = new LinkedHashMap<>(base);
    m.put(k1, Integer.toString(v1));
    m.put(k2, Integer.toString(v2));
    return Map.copyOf(m);
  }
}
