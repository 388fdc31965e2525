package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune score --prompt REF --candidates a,b TEXT... */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Rank candidate answers for each input with a registry prompt (rank classification).",
    footer = {"", "Example:", "  promptune score --prompt sentiment@prod --candidates positive,negative 'a fine film'"})
public final class ScoreCommand extends GatewayCommand {

  @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", description = "Omit to use the frozen model alone.")
  String prompt;

  @Option(names = {"-c", "--candidates"}, split = ",", required = true)
  List<String> candidates;

  @Parameters(arity = "1..*", paramLabel = "TEXT")
  List<String> inputs;

  @Override
  protected int run(GatewayClient client) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (prompt != null) {
      body.put("prompt", prompt);
    }
    body.put("candidates", candidates);
    body.put("inputs", inputs);
    JsonNode r = client.post("/v1/score", body);
    if (json()) {
      GatewayOptions.printJson(r);
      return ExitCodes.OK;
    }
    JsonNode res = r.path("results");
    for (int i = 0; i < res.size(); i++) {
      StringBuilder sb = new StringBuilder();
      res.get(i).path("candidates").forEach(c -> sb.append(sb.isEmpty() ? "" : "  ").append(c.path("text").asText())
          .append(String.format(" %.3f", c.path("sum_log_prob").asDouble())));
      System.out.println(inputs.get(i) + "\t=> " + res.get(i).path("best").asText() + "   (" + sb + ")");
    }
    return ExitCodes.OK;
  }
}
