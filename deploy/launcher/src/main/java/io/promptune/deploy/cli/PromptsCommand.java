package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** promptune prompts list | show | lineage | inspect */
@Command(name = "prompts", description = "Inspect prompts, their versions and lineage.", mixinStandardHelpOptions = true,
    subcommands = {PromptsCommand.List.class, PromptsCommand.Show.class, PromptsCommand.Lineage.class,
        PromptsInspectCommand.class})
public final class PromptsCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  static String metrics(JsonNode v) {
    StringBuilder sb = new StringBuilder();
    v.path("metrics").fields().forEachRemaining(e -> sb.append(sb.isEmpty() ? "" : ", ").append(e.getKey())
        .append(' ').append(String.format("%.4f", e.getValue().asDouble())));
    return sb.isEmpty() ? "-" : sb.toString();
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List prompts.")
  static final class List extends GatewayCommand {
    @Option(names = "--task", description = "Only prompts of this task.")
    String task;

    @Override
    protected int run(GatewayClient client) {
      Map<String, Object> q = new java.util.LinkedHashMap<>();
      q.put("page_size", 1000);
      q.put("task", task);
      JsonNode page = client.get("/v1/prompts" + GatewayClient.query(q));
      if (json()) {
        GatewayOptions.printJson(page);
        return ExitCodes.OK;
      }
      Table t = new Table("NAME", "TASK", "VERSIONS", "OWNER", "CREATED");
      page.path("items").forEach(p -> t.row(Table.text(p, "name"), Table.text(p, "task"),
          p.path("latest_version").asInt(), Table.text(p, "owner"), Table.text(p, "create_time")));
      t.print();
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Show a prompt: its environments and its versions with their metrics.")
  static final class Show extends GatewayCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    protected int run(GatewayClient client) {
      String n = GatewayClient.enc(name);
      JsonNode p = client.get("/v1/prompts/" + n);
      JsonNode aliases = client.get("/v1/prompts/" + n + "/environments");
      JsonNode versions = client.get("/v1/prompts/" + n + "/versions?page_size=1000");
      if (json()) {
        var o = GatewayClient.JSON.createObjectNode();
        o.set("prompt", p);
        o.set("environments", aliases);
        o.set("versions", versions.path("items"));
        GatewayOptions.printJson(o);
        return ExitCodes.OK;
      }
      System.out.printf("prompt %s  task %s  owner %s%n", Table.text(p, "name"), p.path("task").asText("-"),
          p.path("owner").asText("-"));
      if (p.hasNonNull("description")) {
        System.out.println("  " + p.get("description").asText());
      }
      System.out.println();
      Table envs = new Table("ENVIRONMENT", "VERSION", "UPDATED", "BY");
      Map<String, Integer> numberById = new HashMap<>();
      versions.path("items").forEach(v -> numberById.put(v.path("id").asText(), v.path("number").asInt()));
      aliases.forEach(a -> envs.row(Table.text(a, "environment"), "v" + a.path("version_number").asInt(),
          Table.text(a, "update_time"), Table.text(a, "updated_by")));
      envs.print();
      System.out.println();
      Table t = new Table("VERSION", "ID", "SHAPE", "INIT", "METRICS", "JOB", "CREATED");
      versions.path("items").forEach(v -> t.row("v" + v.path("number").asInt(), Table.text(v, "id"),
          v.path("length").asInt() + "x" + v.path("d_model").asInt(), Table.text(v, "init_method"), metrics(v),
          Table.shortId(Table.text(v, "training_job_id")), Table.text(v, "create_time")));
      t.print();
      return ExitCodes.OK;
    }
  }

  @Command(name = "lineage", mixinStandardHelpOptions = true,
      description = "Show where a version came from (up), what came from it (down), or both.")
  static final class Lineage extends GatewayCommand {
    @Parameters(paramLabel = "VERSION", description = "A version id, name:N or name@env.")
    String ref;

    @Option(names = "--direction", defaultValue = "both", description = "up, down or both (default both).")
    String direction;

    @Option(names = "--depth", defaultValue = "10")
    int depth;

    @Override
    protected int run(GatewayClient client) {
      JsonNode l = client.get("/v1/versions/" + GatewayClient.enc(ref) + "/lineage?direction="
          + GatewayClient.enc(direction) + "&max_depth=" + depth);
      if (json()) {
        GatewayOptions.printJson(l);
        return ExitCodes.OK;
      }
      Map<String, String> label = new HashMap<>();
      l.path("versions").forEach(v -> label.put(v.path("id").asText(), v.path("prompt_name").asText() + ":"
          + v.path("number").asInt()));
      System.out.println("versions:");
      l.path("versions").forEach(v -> System.out.printf("  %-24s %s  %s%n", label.get(v.path("id").asText()),
          v.path("id").asText(), metrics(v)));
      System.out.println("edges (child <- relation - parent):");
      if (l.path("edges").isEmpty()) {
        System.out.println("  (none)");
      }
      l.path("edges").forEach(e -> {
        String parent = e.hasNonNull("parent_version_id")
            ? label.getOrDefault(e.get("parent_version_id").asText(), e.get("parent_version_id").asText())
            : "external " + e.path("parent_external_ref").asText();
        System.out.printf("  %s <- %s - %s%n", label.getOrDefault(e.path("child_version_id").asText(),
            e.path("child_version_id").asText()), e.path("relation").asText("?"), parent);
      });
      return ExitCodes.OK;
    }
  }
}
