package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** promptune train: submit a prompt-tuning job and follow it. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Submit a training job and follow it with a progress bar (loss, dev metric, ETA) until it ends. "
        + "Unset options take the trainer's defaults (the paper's: prompt length 100, class-label init, Adafactor "
        + "lr 0.3, batch 32).",
    footer = {"", "Examples:",
        "  promptune train --dataset reviews --output-prompt sentiment --steps 300 --labels positive,negative",
        "  promptune train --spec job.json --detach",
        "  promptune train --dataset reviews --output-prompt sentiment --steps 300 --ensemble 5",
        "", "Exit code: 0 when the job succeeds, 7 when it fails or is cancelled (1-6: see promptune --help)."})
public final class TrainCommand extends GatewayCommand {

  @Option(names = "--spec", paramLabel = "FILE", description = "A job spec as JSON (the body of POST /v1/jobs); "
      + "options given here override its fields.")
  Path spec;

  @Option(names = "--dataset", description = "Dataset id or name.")
  String dataset;

  @Option(names = "--output-prompt", paramLabel = "NAME", description = "Registry prompt to publish the best "
      + "version under (default: job-<id>).")
  String outputPrompt;

  @Option(names = {"--steps", "--max-steps"}, paramLabel = "N", description = "Training steps.")
  Integer maxSteps;

  @Option(names = "--prompt-length", paramLabel = "N")
  Integer promptLength;

  @Option(names = "--batch-size", paramLabel = "N")
  Integer batchSize;

  @Option(names = "--learning-rate", paramLabel = "LR")
  Float learningRate;

  @Option(names = "--optimizer", description = "adafactor or adam")
  String optimizer;

  @Option(names = "--init", description = "random_uniform, sampled_vocab, class_labels, text or from_version")
  String init;

  @Option(names = "--init-text", description = "With --init text.")
  String initText;

  @Option(names = "--init-version", paramLabel = "REF", description = "With --init from_version: id, name:N or "
      + "name@env.")
  String initVersion;

  @Option(names = "--eval-interval", paramLabel = "N")
  Integer evalInterval;

  @Option(names = "--eval-mode", description = "rank_classification or exact_match")
  String evalMode;

  @Option(names = "--max-eval-examples", paramLabel = "N")
  Integer maxEvalExamples;

  @Option(names = "--patience", paramLabel = "N", description = "Early stopping: evaluations without improvement.")
  Integer patience;

  @Option(names = "--task-format", paramLabel = "NAME", description = "identity, sst2, boolq, rte or your own name "
      + "with templates.")
  String taskFormat;

  @Option(names = "--input-template", description = "e.g. 'review: {text}'")
  String inputTemplate;

  @Option(names = "--target-template", description = "e.g. '{label}'")
  String targetTemplate;

  @Option(names = "--labels", split = ",", description = "The class labels (target texts), comma-separated.")
  List<String> labels;

  @Option(names = "--label-map", split = ",", paramLabel = "RAW=TEXT", description = "e.g. 0=negative,1=positive")
  Map<String, String> labelMap;

  @Option(names = "--seed")
  Long seed;

  @Option(names = "--task", description = "Task name recorded on the published prompt.")
  String task;

  @Option(names = "--ensemble", paramLabel = "N", description = "Train N prompts in one job (prompt ensembling, "
      + "2-32; member i uses seed + i) and publish each member and an ensemble version over them.")
  Integer ensemble;

  @Option(names = "--ensemble-rule", paramLabel = "RULE", description = "How the ensemble combines its members: "
      + "majority_vote (default) or mean_log_prob.")
  String ensembleRule;

  @Option(names = "--detach", description = "Print the job id and return without following it.")
  boolean detach;

  @Override
  protected int run(GatewayClient client) throws Exception {
    ObjectNode s = spec != null ? (ObjectNode) GatewayClient.readFile(spec) : GatewayClient.JSON.createObjectNode();
    put(s, "dataset", dataset);
    put(s, "output_prompt", outputPrompt);
    put(s, "max_steps", maxSteps);
    put(s, "prompt_length", promptLength);
    put(s, "batch_size", batchSize);
    put(s, "eval_interval", evalInterval);
    put(s, "eval_mode", evalMode);
    put(s, "max_eval_examples", maxEvalExamples);
    put(s, "seed", seed);
    put(s, "task", task);
    put(s, "ensemble_size", ensemble);
    put(s, "ensemble_rule", ensembleRule);
    if (patience != null) {
      s.putObject("early_stopping").put("patience", patience);
    }
    if (learningRate != null || optimizer != null) {
      ObjectNode o = s.has("optimizer") ? (ObjectNode) s.get("optimizer") : s.putObject("optimizer");
      put(o, "type", optimizer);
      put(o, "learning_rate", learningRate);
    }
    if (init != null) {
      ObjectNode i = s.putObject("init");
      i.put("method", init);
      put(i, "text", initText);
      put(i, "version", initVersion);
    }
    if (taskFormat != null || inputTemplate != null || targetTemplate != null || labels != null || labelMap != null) {
      ObjectNode t = s.has("task_format") ? (ObjectNode) s.get("task_format") : s.putObject("task_format");
      put(t, "name", taskFormat);
      put(t, "input_template", inputTemplate);
      put(t, "target_template", targetTemplate);
      if (labels != null) {
        t.set("labels", GatewayClient.JSON.valueToTree(labels));
      }
      if (labelMap != null) {
        t.set("label_map", GatewayClient.JSON.valueToTree(new LinkedHashMap<>(labelMap)));
      }
    }
    if (!s.hasNonNull("dataset") || !s.hasNonNull("max_steps")) {
      throw new IllegalArgumentException("--dataset and --steps are required (or a --spec file with dataset and "
          + "max_steps)");
    }
    JsonNode job = client.post("/v1/jobs", s);
    String id = job.path("id").asText();
    if (detach) {
      if (json()) {
        GatewayOptions.printJson(job);
      } else {
        System.out.println(id);
      }
      return ExitCodes.OK;
    }
    if (!json()) {
      System.out.println("submitted job " + id + " (" + job.path("state").asText() + "); following it — Ctrl-C "
          + "stops watching, not the job (promptune jobs cancel " + id + ")");
    }
    return follow(client, id, s.path("max_steps").asInt(), json());
  }

  /** Follows a job to its end; prints the outcome; 0 if it succeeded, 7 otherwise. */
  static int follow(GatewayClient client, String id, int maxSteps, boolean json) {
    JobFollower.Outcome o = new JobFollower(client, json ? System.err : System.out, System.console() != null && !json)
        .follow(id, maxSteps);
    if (json) {
      GatewayOptions.printJson(client.get("/v1/jobs/" + GatewayClient.enc(id)));
    } else {
      System.out.println("job " + id + " " + o.state() + (o.reason() != null && !o.succeeded() ? ": " + o.reason()
          : "") + (o.bestMetric() != null ? String.format(" — best dev metric %.4f", o.bestMetric()) : "")
          + (o.versionId() != null ? " — published " + (o.memberVersionIds().isEmpty() ? "version "
          : "ensemble version ") + o.versionId() : ""));
      for (int i = 0; i < o.memberVersionIds().size(); i++) {
        System.out.println("  member " + i + ": version " + o.memberVersionIds().get(i)
            + (i < o.bestMemberValues().size() ? String.format(" — dev metric %.4f at the best step",
            o.bestMemberValues().get(i)) : ""));
      }
    }
    return o.succeeded() ? ExitCodes.OK : ExitCodes.JOB_FAILED;
  }

  private static void put(ObjectNode n, String field, Object v) {
    if (v != null) {
      n.set(field, GatewayClient.JSON.valueToTree(v));
    }
  }
}
