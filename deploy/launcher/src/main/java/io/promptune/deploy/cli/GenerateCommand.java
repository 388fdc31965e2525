package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune generate --prompt REF TEXT... */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate text for each input with a registry prompt.",
    footer = {"", "PROMPT is a version id, name:N, name@env, or a bare name (= name@prod).", "", "Examples:",
        "  promptune generate --prompt sentiment@prod 'a wonderful film' 'a dull film'",
        "  promptune generate --prompt sentiment:2 --max-new-tokens 8 'great acting'"})
public final class GenerateCommand extends GatewayCommand {

  @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", description = "Omit to use the frozen model alone.")
  String prompt;

  @Parameters(arity = "1..*", paramLabel = "TEXT")
  List<String> inputs;

  @Option(names = "--max-new-tokens", paramLabel = "N")
  Integer maxNewTokens;

  @Option(names = "--beams", paramLabel = "N", description = "Beam search with N beams (default greedy).")
  Integer beams;

  @Option(names = "--truncate", description = "Cut over-long inputs instead of rejecting them.")
  boolean truncate;

  @Override
  protected int run(GatewayClient client) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (prompt != null) {
      body.put("prompt", prompt);
    }
    body.put("inputs", inputs);
    if (maxNewTokens != null) {
      body.put("max_new_tokens", maxNewTokens);
    }
    if (beams != null) {
      body.put("num_beams", beams);
    }
    if (truncate) {
      body.put("truncation", "truncate");
    }
    JsonNode r = client.post("/v1/generate", body);
    if (json()) {
      GatewayOptions.printJson(r);
      return ExitCodes.OK;
    }
    JsonNode gens = r.path("generations");
    for (int i = 0; i < gens.size(); i++) {
      System.out.println(inputs.get(i) + "\t=> " + gens.get(i).path("text").asText());
    }
    return ExitCodes.OK;
  }
}
