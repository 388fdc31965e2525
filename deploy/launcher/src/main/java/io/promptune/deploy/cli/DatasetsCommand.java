package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune datasets upload | list | show */
@Command(name = "datasets", description = "Upload and inspect training datasets.",
    subcommands = {DatasetsCommand.Upload.class, DatasetsCommand.List.class, DatasetsCommand.Show.class},
    mixinStandardHelpOptions = true)
public final class DatasetsCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  static void print(JsonNode d) {
    System.out.printf("dataset %s (%s)%n  id:         %s%n  format:     %s%n  fields:     %s%n  train:      %s records"
        + "%n  validation: %s records%n", Table.text(d, "name"), Table.text(d, "description") == null ? "no description"
        : Table.text(d, "description"), Table.text(d, "id"), Table.text(d, "format"), d.path("fields").toString(),
        d.path("num_train").asText(), d.path("num_validation").asText());
  }

  @Command(name = "upload", mixinStandardHelpOptions = true,
      description = "Upload a JSONL, CSV or TSV file as a dataset (uploading the same content again returns the "
          + "existing dataset).",
      footer = {"", "Examples:", "  promptune datasets upload reviews.jsonl --name reviews",
          "  promptune datasets upload train.csv --validation dev.csv --name sst --column-mapping sentence:input,"
              + "label:target"})
  static final class Upload extends GatewayCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The training records.")
    Path file;

    @Option(names = "--name", required = true, description = "Dataset name.")
    String name;

    @Option(names = "--validation", paramLabel = "FILE", description = "Validation records (else a fraction of "
        + "FILE is held out).")
    Path validation;

    @Option(names = "--format", description = "jsonl, csv or tsv (default: from the file name).")
    String format;

    @Option(names = "--description")
    String description;

    @Option(names = "--validation-fraction", description = "Held-out fraction when no --validation file is given "
        + "(default 0.1; negative: none).")
    Float validationFraction;

    @Option(names = "--column-mapping", paramLabel = "SRC:DST,...", description = "Rename fields for the task "
        + "format, e.g. sentence:input,label:target.")
    String columnMapping;

    @Override
    protected int run(GatewayClient client) throws Exception {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("no such file: " + file);
      }
      String fmt = format != null ? format : formatOf(file);
      JsonNode d;
      if (validation == null) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("name", name);
        q.put("format", fmt);
        q.put("description", description);
        q.put("validation_fraction", validationFraction);
        q.put("column_mapping", columnMapping);
        d = client.postFile("/v1/datasets" + GatewayClient.query(q), file, "application/octet-stream");
      } else {
        if (!Files.isRegularFile(validation)) {
          throw new IllegalArgumentException("no such file: " + validation);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("name", name);
        fields.put("format", fmt);
        fields.put("description", description);
        fields.put("validation_fraction", validationFraction == null ? null : validationFraction.toString());
        fields.put("column_mapping", columnMapping);
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("train", file);
        files.put("validation", validation);
        d = client.postMultipart("/v1/datasets", fields, files);
      }
      if (json()) {
        GatewayOptions.printJson(d);
      } else {
        print(d);
      }
      return ExitCodes.OK;
    }

    static String formatOf(Path f) {
      String n = f.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
      if (n.endsWith(".jsonl") || n.endsWith(".ndjson")) {
        return "jsonl";
      }
      if (n.endsWith(".csv")) {
        return "csv";
      }
      if (n.endsWith(".tsv")) {
        return "tsv";
      }
      throw new IllegalArgumentException("cannot tell the format of " + f + " from its name; add --format "
          + "jsonl|csv|tsv");
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List datasets.")
  static final class List extends GatewayCommand {
    @Override
    protected int run(GatewayClient client) {
      JsonNode page = client.get("/v1/datasets?page_size=1000");
      if (json()) {
        GatewayOptions.printJson(page);
        return ExitCodes.OK;
      }
      Table t = new Table("NAME", "ID", "FORMAT", "TRAIN", "VALIDATION", "CREATED");
      page.path("items").forEach(d -> t.row(Table.text(d, "name"), Table.shortId(Table.text(d, "id")),
          Table.text(d, "format"), d.path("num_train").asText(), d.path("num_validation").asText(),
          Table.text(d, "create_time")));
      t.print();
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one dataset.")
  static final class Show extends GatewayCommand {
    @Parameters(paramLabel = "DATASET", description = "Id or name.")
    String dataset;

    @Override
    protected int run(GatewayClient client) {
      JsonNode d = client.get("/v1/datasets/" + GatewayClient.enc(dataset));
      if (json()) {
        GatewayOptions.printJson(d);
      } else {
        print(d);
      }
      return ExitCodes.OK;
    }
  }
}
