package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.promptune.deploy.ServiceSpec;
import io.promptune.deploy.Topology;
import picocli.CommandLine.Option;

/** Options every gateway command shares: where the gateway is, which key to use, and --json. */
public final class GatewayOptions {

  @Option(names = "--gateway", paramLabel = "URL", description = "Gateway URL. Default: PROMPTUNE_GATEWAY_URL, "
      + "else the local deployment's (http://127.0.0.1:8080 unless PROMPTUNE_PORT_OFFSET or "
      + "PROMPTUNE_GATEWAY_HTTP_PORT move it).")
  String gateway;

  @Option(names = "--api-key", paramLabel = "KEY", description = "API key. Default: PROMPTUNE_API_KEY, else the key "
      + "saved by 'promptune keys create --save' under PROMPTUNE_HOME.")
  String apiKey;

  @Option(names = "--json", description = "Print the gateway's JSON answer instead of a table (for scripts).")
  boolean json;

  public String gatewayUrl() {
    if (gateway != null && !gateway.isBlank()) {
      return gateway;
    }
    String env = System.getenv("PROMPTUNE_GATEWAY_URL");
    if (env != null && !env.isBlank()) {
      return env;
    }
    return defaultGatewayUrl();
  }

  /** The local deployment's gateway, from the same settings the launcher uses. */
  public static String defaultGatewayUrl() {
    int port = Topology.fromEnvironment().services().stream().filter(s -> s.name().equals("gateway"))
        .mapToInt(ServiceSpec::httpPort).findFirst().orElse(8080);
    return "http://127.0.0.1:" + port;
  }

  public String key() {
    if (apiKey != null && !apiKey.isBlank()) {
      return apiKey;
    }
    String env = System.getenv("PROMPTUNE_API_KEY");
    if (env != null && !env.isBlank()) {
      return env;
    }
    return LocalKeys.fromEnvironment().cliKey().orElse(null);
  }

  public GatewayClient client() {
    return new GatewayClient(gatewayUrl(), key());
  }

  public boolean json() {
    return json;
  }

  /** Prints a JSON answer, indented. */
  public static void printJson(JsonNode node) {
    try {
      System.out.println(GatewayClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(node));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
