package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune evaluate REF --dataset D: an evaluation job, recorded with the registry against the version. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluate a version or ensemble on a dataset split in the trainer's job queue (trainer role). The "
        + "result is recorded against the version (promptune prompts show, the console) and counts for promotion "
        + "gates. Evaluating a prompt on a dataset it was not trained on measures zero-shot domain transfer.",
    footer = {"", "Examples:", "  promptune evaluate sentiment:3 --dataset movie-reviews --follow",
        "  promptune evaluate sentiment@prod --dataset imdb --split train --mode exact --max-examples 500",
        "", "Exit code with --follow: 0 when the evaluation succeeds, 7 when it fails or is cancelled."})
public final class EvaluateCommand extends GatewayCommand {

  @Parameters(paramLabel = "REF", description = "The version or ensemble: name:N, name@env or a version id.")
  String version;

  @Option(names = "--dataset", required = true, description = "Dataset id or name.")
  String dataset;

  @Option(names = "--split", defaultValue = "validation", description = "validation (default) or train.")
  String split;

  @Option(names = "--mode", description = "rank (rank classification: accuracy of the best-scoring label) or exact "
      + "(exact match of the generated text). Default: rank when the task has labels.")
  String mode;

  @Option(names = "--max-examples", paramLabel = "N", description = "Only the first N records (default: all).")
  Integer maxExamples;

  @Option(names = "--task-format", paramLabel = "NAME", description = "Format records with this task format "
      + "(default: the one the version was trained with).")
  String taskFormat;

  @Option(names = "--follow", description = "Follow the job and print the outcome (default: print the job id).")
  boolean follow;

  /** "rank" and "exact" are short for the API's mode names. */
  static String mode(String m) {
    if (m == null) {
      return null;
    }
    return switch (m.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "rank", "rank_classification" -> "rank_classification";
      case "exact", "exact_match" -> "exact_match";
      default -> throw new IllegalArgumentException("--mode must be rank or exact; got '" + m + "'");
    };
  }

  @Override
  protected int run(GatewayClient client) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("version", version);
    body.put("dataset", dataset);
    body.put("split", split);
    if (mode != null) {
      body.put("mode", mode(mode));
    }
    if (maxExamples != null) {
      body.put("max_examples", maxExamples);
    }
    if (taskFormat != null) {
      body.put("task_format", Map.of("name", taskFormat));
    }
    JsonNode job = client.post("/v1/evaluation-jobs", body);
    String id = job.path("id").asText();
    if (!follow) {
      if (json()) {
        GatewayOptions.printJson(job);
      } else {
        System.out.println(id);
      }
      return ExitCodes.OK;
    }
    if (!json()) {
      System.out.println("submitted evaluation job " + id + " of " + version + " on " + dataset + "/" + split
          + "; following it");
    }
    JobFollower.Outcome o = new JobFollower(client, json() ? System.err : System.out,
        System.console() != null && !json()).follow(id, 0);
    JsonNode end = client.get("/v1/jobs/" + GatewayClient.enc(id));
    if (json()) {
      GatewayOptions.printJson(end);
    } else if (o.succeeded()) {
      System.out.print(outcome(version, end.path("evaluation_outcome")));
    } else {
      System.out.println("evaluation job " + id + " " + o.state() + (o.reason() == null ? "" : ": " + o.reason()));
    }
    return o.succeeded() ? ExitCodes.OK : ExitCodes.JOB_FAILED;
  }

  /** The outcome as lines: the value, and each member's for an ensemble. */
  static String outcome(String ref, JsonNode o) {
    StringBuilder sb = new StringBuilder(String.format("%s (version %s) on %s/%s: %s %.4f over %d examples "
        + "(recorded as evaluation %d)%n", ref, o.path("version_id").asText(), o.path("dataset_id").asText(),
        o.path("split").asText(), o.path("metric").asText(), o.path("value").asDouble(),
        o.path("examples").asLong(), o.path("evaluation_id").asLong()));
    List<Double> members = JobFollower.doubles(o.path("member_values"));
    for (int i = 0; i < members.size(); i++) {
      sb.append(String.format("  member %d: %s %.4f%n", i, o.path("metric").asText(), members.get(i)));
    }
    if (!members.isEmpty()) {
      sb.append(String.format("  member mean %.4f, ensemble %.4f%n", members.stream().mapToDouble(d -> d)
          .average().orElse(Double.NaN), o.path("value").asDouble()));
    }
    return sb.toString();
  }
}
