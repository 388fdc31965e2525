package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune ensembles create NAME --member REF --member REF [--rule majority_vote|mean_log_prob] */
@Command(name = "ensembles", description = "Prompt ensembles: one version made of several prompts of one model.",
    mixinStandardHelpOptions = true, subcommands = {EnsemblesCommand.Create.class})
public final class EnsemblesCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create an ensemble version of PROMPT from 2-32 member versions (trainer role). It is promoted "
          + "and rolled back like any version.",
      footer = {"", "Examples:", "  promptune ensembles create sentiment --member sst2-a:3 --member sst2-b:2 "
          + "--member sst2-c@prod", "  promptune ensembles create sentiment --member a:1 --member b:1 --rule "
          + "mean_log_prob"})
  static final class Create extends GatewayCommand {
    @Parameters(paramLabel = "PROMPT", description = "The prompt the ensemble is numbered under.")
    String prompt;

    @Option(names = "--member", paramLabel = "REF", required = true, description = "A member: name:N, name@env or "
        + "a version id (repeat, in order).")
    List<String> members;

    @Option(names = "--rule", description = "majority_vote (default) or mean_log_prob.")
    String rule;

    @Option(names = "--task", description = "Create the prompt with this task if it does not exist.")
    String task;

    @Override
    protected int run(GatewayClient client) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("prompt_name", prompt);
      body.put("members", members);
      if (rule != null) {
        body.put("rule", rule);
      }
      if (task != null) {
        body.put("create_prompt_if_missing", true);
        body.put("task", task);
      }
      JsonNode v = client.post("/v1/ensembles", body);
      if (json()) {
        GatewayOptions.printJson(v);
        return ExitCodes.OK;
      }
      System.out.printf("%s:%d ensemble (%s) %s%n", v.path("prompt_name").asText(), v.path("number").asInt(),
          v.path("ensemble").path("rule").asText(), v.path("id").asText());
      v.path("ensemble").path("members").forEach(m -> System.out.printf("  member %s:%d length %d (%s)%n",
          m.path("prompt_name").asText(), m.path("number").asInt(), m.path("length").asInt(),
          m.path("version_id").asText()));
      return ExitCodes.OK;
    }
  }
}
