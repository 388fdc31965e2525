package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune promote NAME --version N --to ENV */
@Command(name = "promote",
    description = "Point an environment of a prompt at a version (operator role; --force needs admin). Promotions "
        + "follow the environment order (dev, staging, prod) and are audited. If the environment already holds the "
        + "version, nothing changes and nothing is audited (\"already at version N; nothing changed\", exit 0). A "
        + "promotion gate the version fails refuses it: the gate, its requirement and the version's value are "
        + "printed (exit 5).",
    footer = {"", "Examples:", "  promptune promote sentiment --version 3 --to staging --reason 'dev accuracy 0.91'",
        "  promptune promote sentiment --version-id 5f0c... --to prod"})
public final class PromoteCommand extends GatewayCommand {

  @Parameters(paramLabel = "PROMPT")
  String prompt;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;

  static final class Target {
    @Option(names = "--version", paramLabel = "N", required = true, description = "Version number.")
    Integer number;

    @Option(names = "--version-id", paramLabel = "ID", required = true, description = "Version id.")
    String id;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(names = "--to", paramLabel = "ENV", required = true, description = "Environment, e.g. dev, staging, prod.")
  String environment;

  @Option(names = "--reason", description = "Why (stored in the audit log).")
  String reason;

  @Option(names = "--force", description = "Skip the order, compatibility and promotion-gate checks (admin only; "
      + "audited).")
  boolean force;

  @Option(names = "--expect-current", paramLabel = "ID", description = "Fail unless the environment points at this "
      + "version now ('' = nothing yet): protects against concurrent promotions.")
  String expectCurrent;

  @Override
  protected int run(GatewayClient client) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (target.number != null) {
      body.put("version", target.number);
    } else {
      body.put("version_id", target.id);
    }
    if (reason != null) {
      body.put("reason", reason);
    }
    if (force) {
      body.put("force", true);
    }
    if (expectCurrent != null) {
      body.put("expected_current_version_id", expectCurrent);
    }
    JsonNode r;
    try {
      r = client.post("/v1/prompts/" + GatewayClient.enc(prompt) + "/environments/"
          + GatewayClient.enc(environment) + "/promote", body);
    } catch (GatewayException e) {
      if (!"GATE_FAILED".equals(e.code()) || json()) {
        throw e;
      }
      System.err.print(gateRefusal(prompt, environment, e));
      return e.exitCode();
    }
    printResult(r, json());
    return ExitCodes.OK;
  }

  /**
   * A promotion a gate refused, told plainly: which gate, what it requires, what the version has, and the way out.
   * The gateway's message names every failing gate with its numbers; the details carry the first one's.
   */
  static String gateRefusal(String prompt, String environment, GatewayException e) {
    JsonNode d = e.details();
    StringBuilder sb = new StringBuilder();
    sb.append("promotion of ").append(prompt).append(" to ").append(environment).append(" refused by promotion gate '")
        .append(d.path("gate").asText("?")).append("'\n");
    if (d.hasNonNull("metric")) {
      sb.append(String.format("  %-9s %s on %s/%s%n", "metric", d.path("metric").asText(),
          d.path("dataset_id").asText(), d.path("split").asText()));
      sb.append(String.format("  %-9s %s%n", "required", blankAs(d.path("required").asText(), "(no threshold)")));
      sb.append(String.format("  %-9s %s%n", "found", blankAs(d.path("found").asText(), "no evaluation recorded")));
      sb.append(String.format("  %-9s %s%n", "current", blankAs(d.path("current").asText(), "none")));
    }
    String failed = d.path("failed_gates").asText("");
    if (failed.contains(",")) {
      sb.append("  failing gates: ").append(failed).append('\n');
    }
    sb.append("  ").append(e.getMessage()).append(" [GATE_FAILED]\n");
    sb.append("  Evaluate the version on that dataset (promptune evaluate <ref> --dataset <id> --follow), or have an "
        + "admin promote with --force (audited).\n");
    return sb.toString();
  }

  private static String blankAs(String s, String dflt) {
    return s == null || s.isBlank() ? dflt : s;
  }

  static void printResult(JsonNode r, boolean json) {
    if (json) {
      GatewayOptions.printJson(r);
      return;
    }
    JsonNode a = r.path("alias");
    JsonNode e = r.path("event");
    // A gateway from before "changed" existed sends none: treat its answers as moves, as it meant them.
    if (!r.path("changed").asBoolean(true)) {
      System.out.printf("%s@%s already at version %d (%s); nothing changed%n", a.path("prompt_name").asText(),
          a.path("environment").asText(), a.path("version_number").asInt(), a.path("version_id").asText());
      return;
    }
    System.out.printf("%s@%s -> v%d (%s)%s%n", a.path("prompt_name").asText(), a.path("environment").asText(),
        a.path("version_number").asInt(), a.path("version_id").asText(), e.path("forced").asBoolean() ? " [forced]"
        : "");
    if (e.hasNonNull("id")) {
      System.out.printf("audit event %d: %s by %s%s%n", e.path("id").asLong(), e.path("action").asText(),
          e.path("actor").asText("?"), e.hasNonNull("from_version_id") ? " (was " + e.get("from_version_id").asText()
          + ")" : "");
    }
  }
}
