package io.promptune.deploy.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune rollback NAME --env ENV */
@Command(name = "rollback", mixinStandardHelpOptions = true,
    description = "Point an environment of a prompt back at the version it held before (operator role). Audited.",
    footer = {"", "Example:", "  promptune rollback sentiment --env prod --reason 'accuracy dropped'"})
public final class RollbackCommand extends GatewayCommand {

  @Parameters(paramLabel = "PROMPT")
  String prompt;

  @Option(names = {"--env", "--environment"}, paramLabel = "ENV", required = true)
  String environment;

  @Option(names = "--reason", description = "Why (stored in the audit log).")
  String reason;

  @Option(names = "--expect-current", paramLabel = "ID", description = "Fail unless the environment points at this "
      + "version now.")
  String expectCurrent;

  @Override
  protected int run(GatewayClient client) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (reason != null) {
      body.put("reason", reason);
    }
    if (expectCurrent != null) {
      body.put("expected_current_version_id", expectCurrent);
    }
    PromoteCommand.printResult(client.post("/v1/prompts/" + GatewayClient.enc(prompt) + "/environments/"
        + GatewayClient.enc(environment) + "/rollback", body), json());
    return ExitCodes.OK;
  }
}
