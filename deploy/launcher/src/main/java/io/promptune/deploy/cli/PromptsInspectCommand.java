package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * promptune prompts inspect REF [--k N] [--labels a,b]: each prompt row's nearest vocabulary tokens with their cosine
 * similarity, whether one is a class label, and a random baseline of rows with the same norms (GET
 * /v1/versions/{ref}/nearest-tokens).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "What a prompt encodes: each row's nearest vocabulary tokens by cosine similarity, marked * when "
        + "one is a class label, beside random rows of the same norm (the baseline).",
    footer = {"", "Examples:", "  promptune prompts inspect sentiment@prod", "  promptune prompts inspect "
        + "sentiment:3 --k 10 --labels positive,negative"})
final class PromptsInspectCommand extends GatewayCommand {

  @Parameters(paramLabel = "VERSION", description = "A version id, name:N or name@env.")
  String ref;

  @Option(names = "--k", defaultValue = "5", description = "Nearest tokens per row, 1-100 (default 5).")
  int k;

  @Option(names = "--labels", paramLabel = "A,B", description = "Class labels to mark (comma separated); default: "
      + "what the registry records about the version's task.")
  String labels;

  @Override
  protected int run(GatewayClient client) {
    Map<String, Object> q = new LinkedHashMap<>();
    q.put("k", k);
    q.put("labels", labels);
    JsonNode r = client.get("/v1/versions/" + GatewayClient.enc(ref) + "/nearest-tokens" + GatewayClient.query(q));
    if (json()) {
      GatewayOptions.printJson(r);
      return ExitCodes.OK;
    }
    System.out.printf("%s:%d  %s  %dx%d  k %d%n", r.path("prompt_name").asText(), r.path("number").asInt(),
        r.path("version_id").asText(), r.path("length").asInt(), r.path("d_model").asInt(), r.path("k").asInt());
    String source = r.path("labels_source").asText("none");
    System.out.println("labels: " + (r.path("labels").isEmpty() ? "none" : join(r.path("labels")) + " (from "
        + source.replace('_', ' ') + ")"));
    System.out.println();
    Table t = new Table("ROW", "NORM", "NEAREST TOKENS (cosine)", "LABEL", "RANDOM ROW, SAME NORM (cosine)");
    JsonNode base = r.path("baseline").path("rows");
    for (JsonNode row : r.path("rows")) {
      int i = row.path("index").asInt();
      t.row(i, String.format(Locale.ROOT, "%.3f", row.path("norm").asDouble()), tokens(row),
          row.path("label_match").asBoolean() ? "*" : "", tokens(base.path(i)));
    }
    t.print();
    JsonNode s = r.path("summary");
    int n = r.path("rows").size();
    System.out.println();
    System.out.printf(Locale.ROOT, "mean top-1 cosine: prompt %.3f, random %.3f%n",
        s.path("mean_top1_cosine").asDouble(), s.path("baseline_mean_top1_cosine").asDouble());
    System.out.printf("rows with a label among their neighbours: prompt %d/%d, random %d/%d%n",
        s.path("rows_with_label_match").asInt(), n, s.path("baseline_rows_with_label_match").asInt(), n);
    System.out.println("random rows: seed " + r.path("baseline").path("seed").asText() + "; "
        + r.path("baseline").path("method").asText());
    return ExitCodes.OK;
  }

  /** "▁good 0.812, ▁fine 0.640" with the label tokens starred. */
  static String tokens(JsonNode row) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode tok : row.path("tokens")) {
      sb.append(sb.isEmpty() ? "" : ", ").append(printable(tok.path("piece").asText()))
          .append(tok.hasNonNull("label") ? "*" : "")
          .append(String.format(Locale.ROOT, " %.3f", tok.path("cosine").asDouble()));
    }
    return sb.isEmpty() ? "-" : sb.toString();
  }

  /** A piece with control characters and spaces made visible, so the table stays one line per row. */
  static String printable(String piece) {
    StringBuilder sb = new StringBuilder();
    piece.codePoints().forEach(c -> {
      if (Character.isISOControl(c) || Character.isWhitespace(c)) {
        sb.append(String.format("\\x%02x", c));
      } else {
        sb.appendCodePoint(c);
      }
    });
    return sb.toString();
  }

  private static String join(JsonNode labels) {
    StringBuilder sb = new StringBuilder();
    labels.forEach(l -> sb.append(sb.isEmpty() ? "" : ", ").append(l.asText()));
    return sb.toString();
  }
}
