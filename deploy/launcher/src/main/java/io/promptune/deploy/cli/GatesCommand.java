package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune gates list | set | delete */
@Command(name = "gates", description = "Promotion gates: evaluations a version needs before it enters an environment.",
    mixinStandardHelpOptions = true, subcommands = {GatesCommand.List.class, GatesCommand.Set.class,
        GatesCommand.Delete.class})
public final class GatesCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  static String rule(JsonNode g) {
    String op = g.path("lower_is_better").asBoolean() ? "<= " : ">= ";
    StringBuilder sb = new StringBuilder(g.path("metric").asText()).append(" on ").append(g.path("dataset_id")
        .asText()).append('/').append(g.path("split").asText());
    if (g.hasNonNull("threshold")) {
      sb.append(' ').append(op).append(g.get("threshold").asDouble());
    }
    if (g.hasNonNull("max_regression")) {
      sb.append(", at most ").append(g.get("max_regression").asDouble()).append(" worse than current");
    }
    return sb.toString();
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List promotion gates.")
  static final class List extends GatewayCommand {
    @Option(names = "--env", description = "Only this environment.")
    String environment;

    @Option(names = "--prompt", description = "Only the gates that apply to this prompt.")
    String prompt;

    @Override
    protected int run(GatewayClient client) {
      Map<String, Object> q = new LinkedHashMap<>();
      q.put("environment", environment);
      q.put("prompt", prompt);
      JsonNode gates = client.get("/v1/gates" + GatewayClient.query(q));
      if (json()) {
        GatewayOptions.printJson(gates);
        return ExitCodes.OK;
      }
      Table t = new Table("ENVIRONMENT", "GATE", "SCOPE", "RULE", "BY");
      gates.forEach(g -> t.row(Table.text(g, "environment"), Table.text(g, "name"),
          g.hasNonNull("prompt_name") ? "prompt " + g.get("prompt_name").asText()
              : g.hasNonNull("task") ? "task " + g.get("task").asText() : "all prompts", rule(g),
          Table.text(g, "updated_by")));
      t.print();
      return ExitCodes.OK;
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Create or replace a gate of an environment (admin role; audited).",
      footer = {"", "Example:", "  promptune gates set prod sst2-accuracy --prompt sentiment --dataset 3f2a... "
          + "--split validation --metric accuracy --min 0.85 --max-regression 0.01"})
  static final class Set extends GatewayCommand {
    @Parameters(index = "0", paramLabel = "ENV")
    String environment;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Option(names = "--prompt", description = "Only this prompt (default: every prompt).")
    String prompt;

    @Option(names = "--task", description = "Only prompts of this task.")
    String task;

    @Option(names = "--dataset", required = true, description = "Dataset id the evaluation must be on.")
    String dataset;

    @Option(names = "--split", defaultValue = "validation", description = "Split (default: validation).")
    String split;

    @Option(names = "--metric", required = true, description = "Metric, e.g. accuracy.")
    String metric;

    @Option(names = "--min", paramLabel = "VALUE", description = "Threshold: the value must reach it (with "
        + "--lower-is-better: must not exceed it).")
    Double threshold;

    @Option(names = "--max-regression", paramLabel = "DELTA", description = "At most this much worse than the "
        + "version the environment holds now.")
    Double maxRegression;

    @Option(names = "--lower-is-better", description = "For losses and error rates.")
    boolean lowerIsBetter;

    @Option(names = "--description")
    String description;

    @Option(names = "--reason", description = "Why (stored in the audit log).")
    String reason;

    @Override
    protected int run(GatewayClient client) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("prompt_name", prompt);
      body.put("task", task);
      body.put("dataset_id", dataset);
      body.put("split", split);
      body.put("metric", metric);
      body.put("threshold", threshold);
      body.put("max_regression", maxRegression);
      body.put("lower_is_better", lowerIsBetter);
      body.put("description", description);
      body.put("reason", reason);
      body.values().removeIf(java.util.Objects::isNull);
      JsonNode r = client.put("/v1/gates/" + GatewayClient.enc(environment) + "/" + GatewayClient.enc(name), body);
      if (json()) {
        GatewayOptions.printJson(r);
        return ExitCodes.OK;
      }
      JsonNode g = r.path("gate");
      System.out.printf("gate %s@%s: %s (audit event %d)%n", g.path("name").asText(), g.path("environment").asText(),
          rule(g), r.path("event").path("id").asLong());
      return ExitCodes.OK;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a gate (admin role; audited).")
  static final class Delete extends GatewayCommand {
    @Parameters(index = "0", paramLabel = "ENV")
    String environment;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Option(names = "--reason", description = "Why (stored in the audit log).")
    String reason;

    @Override
    protected int run(GatewayClient client) {
      Map<String, Object> q = new LinkedHashMap<>();
      q.put("reason", reason);
      JsonNode e = client.delete("/v1/gates/" + GatewayClient.enc(environment) + "/" + GatewayClient.enc(name)
          + GatewayClient.query(q));
      if (json()) {
        GatewayOptions.printJson(e);
        return ExitCodes.OK;
      }
      System.out.printf("deleted gate %s@%s (audit event %d)%n", name, environment, e.path("id").asLong());
      return ExitCodes.OK;
    }
  }
}
