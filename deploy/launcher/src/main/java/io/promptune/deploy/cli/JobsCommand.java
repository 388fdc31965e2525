package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune jobs list | show | follow | cancel */
@Command(name = "jobs", description = "List, inspect, follow and cancel training jobs.", mixinStandardHelpOptions = true,
    subcommands = {JobsCommand.List.class, JobsCommand.Show.class, JobsCommand.Follow.class,
        JobsCommand.Cancel.class})
public final class JobsCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  static void print(JsonNode j) {
    JsonNode spec = j.path("spec");
    if (j.path("kind").asText("training").equals("evaluation")) {
      JsonNode ev = j.path("evaluation");
      System.out.printf("evaluation job %s  %s%n", Table.text(j, "id"), Table.text(j, "state"));
      System.out.printf("  version:       %s%n", ev.path("version").asText("-"));
      System.out.printf("  dataset:       %s/%s%n", ev.path("dataset").asText("-"), ev.path("split").asText("-"));
      if (j.has("evaluation_outcome")) {
        System.out.print(EvaluateCommand.outcome(ev.path("version").asText(), j.get("evaluation_outcome"))
            .indent(2));
      }
      if (j.hasNonNull("reason")) {
        System.out.printf("  reason:        %s%n", j.get("reason").asText());
      }
      return;
    }
    System.out.printf("job %s  %s%n", Table.text(j, "id"), Table.text(j, "state"));
    System.out.printf("  step:          %d / %s%n", j.path("step").asInt(), spec.path("max_steps").asText("?"));
    System.out.printf("  last loss:     %.4f%n", j.path("last_loss").asDouble());
    if (j.path("best_step").asInt() > 0) {
      System.out.printf("  best metric:   %.4f at step %d%n", j.path("best_metric").asDouble(),
          j.path("best_step").asInt());
    }
    System.out.printf("  dataset:       %s%n", spec.path("dataset").asText("-"));
    System.out.printf("  output prompt: %s%n", spec.path("output_prompt").asText("-"));
    System.out.printf("  published:     %s%n", j.path("published_version_id").asText("-"));
    if (j.has("published_member_version_ids")) {
      System.out.printf("  ensemble of:   %s%n", String.join(", ", JobFollower.strings(
          j.get("published_member_version_ids"))));
    }
    System.out.printf("  submitted by:  %s at %s%n", j.path("submitted_by").asText("-"),
        j.path("create_time").asText("-"));
    if (j.hasNonNull("reason")) {
      System.out.printf("  reason:        %s%n", j.get("reason").asText());
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
  static final class List extends GatewayCommand {
    @Option(names = "--state", description = "Only these states (queued, running, succeeded, failed, cancelled; "
        + "comma-separated).")
    String state;

    @Option(names = "--kind", description = "Only training or evaluation jobs.")
    String kind;

    @Override
    protected int run(GatewayClient client) {
      JsonNode page = client.get("/v1/jobs" + GatewayClient.query(new java.util.LinkedHashMap<>(Map.of(
          "page_size", 200))) + (state == null ? "" : "&state=" + GatewayClient.enc(state))
          + (kind == null ? "" : "&kind=" + GatewayClient.enc(kind)));
      if (json()) {
        GatewayOptions.printJson(page);
        return ExitCodes.OK;
      }
      Table t = new Table("JOB", "STATE", "STEP", "LOSS", "BEST", "PROMPT", "BY", "CREATED");
      page.path("items").forEach(j -> t.row(Table.text(j, "id"), Table.text(j, "state"), j.path("step").asInt()
          + "/" + j.path("spec").path("max_steps").asText("?"), String.format("%.4f", j.path("last_loss").asDouble()),
          j.path("best_step").asInt() > 0 ? String.format("%.4f", j.path("best_metric").asDouble()) : "-",
          j.path("kind").asText("training").equals("evaluation") ? "eval " + j.path("evaluation").path("version")
          .asText("?") : j.path("spec").path("output_prompt").asText("-"), Table.text(j, "submitted_by"),
          Table.text(j, "create_time")));
      t.print();
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one job.")
  static final class Show extends GatewayCommand {
    @Parameters(paramLabel = "JOB")
    String id;

    @Override
    protected int run(GatewayClient client) {
      JsonNode j = client.get("/v1/jobs/" + GatewayClient.enc(id));
      if (json()) {
        GatewayOptions.printJson(j);
      } else {
        print(j);
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "follow", mixinStandardHelpOptions = true, description = "Follow a job's progress until it ends "
      + "(exit 0 if it succeeds, 7 if not).")
  static final class Follow extends GatewayCommand {
    @Parameters(paramLabel = "JOB")
    String id;

    @Override
    protected int run(GatewayClient client) {
      JsonNode j = client.get("/v1/jobs/" + GatewayClient.enc(id));
      int exit = TrainCommand.follow(client, id, j.path("spec").path("max_steps").asInt(), json());
      if (!json() && j.path("kind").asText("training").equals("evaluation")) {
        JsonNode end = client.get("/v1/jobs/" + GatewayClient.enc(id));
        if (end.has("evaluation_outcome")) {
          System.out.print(EvaluateCommand.outcome(end.path("evaluation").path("version").asText("version"),
              end.get("evaluation_outcome")));
        }
      }
      return exit;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a queued or running job.")
  static final class Cancel extends GatewayCommand {
    @Parameters(paramLabel = "JOB")
    String id;

    @Option(names = "--reason")
    String reason;

    @Override
    protected int run(GatewayClient client) {
      JsonNode j = client.post("/v1/jobs/" + GatewayClient.enc(id) + "/cancel", reason == null ? Map.of()
          : Map.of("reason", reason));
      if (json()) {
        GatewayOptions.printJson(j);
      } else {
        System.out.println("job " + id + " " + j.path("state").asText());
      }
      return ExitCodes.OK;
    }
  }
}
