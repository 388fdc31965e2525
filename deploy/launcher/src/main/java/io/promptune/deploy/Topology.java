package io.promptune.deploy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Set;
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

  /** Port distance between two instances of the same service ({@code --runtimes}, {@code --trainers}). */
  public static final int INSTANCE_PORT_STEP = 10;

  /** The services in start order, one runtime and one trainer. */
  public List<ServiceSpec> services() {
    return services(1, 1);
  }

  /** Instance {@code k} (1-based) of a service: the first keeps the service's name, the others get "-k". */
  public static String instanceName(String service, int k) {
    return k == 1 ? service : service + "-" + k;
  }

  /**
   * The services in start order (the ones others depend on first) with {@code runtimes} model runtimes and
   * {@code trainers} trainers. Instance k of a service (1-based) listens on the service's ports plus
   * {@value #INSTANCE_PORT_STEP}·(k−1): runtimes on 9101, 9111, 9121, ..., trainers on 9103, 9113, ... (HTTP likewise),
   * which never meet the registry's or the gateway's. With more than one runtime, the trainers and the gateway get
   * the whole list in PROMPTUNE_RUNTIME_TARGETS and balance over it; with more than one trainer, the gateway gets
   * theirs in PROMPTUNE_TRAINER_TARGETS.
   */
  public List<ServiceSpec> services(int runtimes, int trainers) {
    if (runtimes < 1 || trainers < 1 || runtimes > 50 || trainers > 50) {
      throw new IllegalArgumentException("--runtimes and --trainers must be between 1 and 50");
    }
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
    Map<String, String> clients = new LinkedHashMap<>(addresses); // what the runtimes' callers also get
    if (runtimes > 1) {
      List<String> targets = new ArrayList<>();
      for (int k = 1; k <= runtimes; k++) {
        targets.add(host + ":" + checked("runtime-" + k, runtimeGrpc + INSTANCE_PORT_STEP * (k - 1)));
      }
      clients.put("PROMPTUNE_RUNTIME_TARGETS", String.join(",", targets));
    }
    List<ServiceSpec> specs = new ArrayList<>();
    specs.add(new ServiceSpec("registry", "prompt-registry", registryGrpc, registryHttp, "promptune.v1.PromptRegistry",
        "384m", with(addresses, "PROMPTUNE_REGISTRY_GRPC_PORT", registryGrpc, "PROMPTUNE_REGISTRY_HTTP_PORT",
            registryHttp)));
    for (int k = 1; k <= runtimes; k++) {
      int grpc = checked(instanceName("runtime", k), runtimeGrpc + INSTANCE_PORT_STEP * (k - 1));
      int http = checked(instanceName("runtime", k), runtimeHttp + INSTANCE_PORT_STEP * (k - 1));
      specs.add(new ServiceSpec(instanceName("runtime", k), "model-runtime", grpc, http, "promptune.v1.ModelRuntime",
          "1g", with(addresses, "PROMPTUNE_RUNTIME_GRPC_PORT", grpc, "PROMPTUNE_RUNTIME_HTTP_PORT", http)));
    }
    for (int k = 1; k <= trainers; k++) {
      int grpc = checked(instanceName("trainer", k), trainerGrpc + INSTANCE_PORT_STEP * (k - 1));
      int http = checked(instanceName("trainer", k), trainerHttp + INSTANCE_PORT_STEP * (k - 1));
      specs.add(new ServiceSpec(instanceName("trainer", k), "trainer-service", grpc, http, "promptune.v1.Trainer",
          "512m", with(clients, "PROMPTUNE_TRAINER_GRPC_PORT", grpc, "PROMPTUNE_TRAINER_HTTP_PORT", http)));
    }
    // The console's System page reads every runtime's and the trainers' /q/metrics.
    Map<String, String> gatewayEnv = new LinkedHashMap<>(clients);
    List<String> runtimeMetrics = new ArrayList<>();
    for (int k = 1; k <= runtimes; k++) {
      runtimeMetrics.add("http://" + host + ":" + (runtimeHttp + INSTANCE_PORT_STEP * (k - 1)) + "/q/metrics");
    }
    List<String> trainerMetrics = new ArrayList<>();
    for (int k = 1; k <= trainers; k++) {
      trainerMetrics.add("http://" + host + ":" + (trainerHttp + INSTANCE_PORT_STEP * (k - 1)) + "/q/metrics");
    }
    if (trainers > 1) {
      // The gateway balances over every trainer (its TrainerPool); they share the queue, so any one answers.
      List<String> trainerTargets = new ArrayList<>();
      for (int k = 1; k <= trainers; k++) {
        trainerTargets.add(host + ":" + (trainerGrpc + INSTANCE_PORT_STEP * (k - 1)));
      }
      gatewayEnv.put("PROMPTUNE_TRAINER_TARGETS", String.join(",", trainerTargets));
    }
    gatewayEnv.put("PROMPTUNE_SYSTEM_RUNTIME_METRICS", String.join(",", runtimeMetrics));
    gatewayEnv.put("PROMPTUNE_SYSTEM_TRAINER_METRICS", String.join(",", trainerMetrics));
    specs.add(new ServiceSpec("gateway", "gateway", gatewayGrpc, gatewayHttp, "", "384m",
        with(gatewayEnv, "PROMPTUNE_GATEWAY_GRPC_PORT", gatewayGrpc, "PROMPTUNE_GATEWAY_HTTP_PORT", gatewayHttp)));
    Set<Integer> seen = new HashSet<>();
    for (ServiceSpec sp : specs) {
      for (int p : new int[] {sp.grpcPort(), sp.httpPort()}) {
        if (p != 0 && !seen.add(p)) {
          throw new IllegalArgumentException("port " + p + " would be used twice (" + sp.name() + "); set the "
              + "PROMPTUNE_*_PORT variables so that instances, " + INSTANCE_PORT_STEP + " apart, do not meet");
        }
      }
    }
    return List.copyOf(specs);
  }

  private static int checked(String what, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " would listen on port " + port + ", outside 0..65535");
    }
    return port;
  }

  private static Map<String, String> with(Map<String, String> base, String k1, int v1, String k2, int v2) {
    Map<String, String> m = new LinkedHashMap<>(base);
    m.put(k1, Integer.toString(v1));
    m.put(k2, Integer.toString(v2));
    return Map.copyOf(m);
  }
}
