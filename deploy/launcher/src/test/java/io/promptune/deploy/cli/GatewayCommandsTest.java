package io.promptune.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.promptune.deploy.PromptuneCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The gateway commands against a stand-in gateway (the JDK's HTTP server): requests, output and exit codes. */
class GatewayCommandsTest {

  private HttpServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private String url;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange x) throws IOException {
    String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String auth = x.getRequestHeaders().getFirst("Authorization");
    String path = x.getRequestURI().toString();
    requests.add(x.getRequestMethod() + " " + path + " " + body);
    int status = 200;
    String answer;
    if (auth == null || !auth.equals("Bearer k")) {
      status = 401;
      answer = "{\"error\":{\"code\":\"UNAUTHENTICATED\",\"message\":\"Unknown API key.\"}}";
    } else if (path.startsWith("/v1/prompts/nope")) {
      status = 404;
      answer = "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"prompt 'nope' does not exist\"}}";
    } else if (path.equals("/v1/prompts/gated/environments/prod/promote")) {
      status = 409;
      answer = "{\"error\":{\"code\":\"GATE_FAILED\",\"message\":\"gated:3 cannot enter prod: gate 'acc' "
          + "(accuracy on d/validation): below the threshold [required >= 0.85, found 0.8, prod's gated:2 0.86]\","
          + "\"details\":{\"gate\":\"acc\",\"failed_gates\":\"acc\",\"dataset_id\":\"d\",\"split\":"
          + "\"validation\",\"metric\":\"accuracy\",\"required\":\"0.85\",\"found\":\"0.8\","
          + "\"current\":\"0.86\"}}}";
    } else if (path.equals("/v1/evaluation-jobs")) {
      status = 201;
      answer = "{\"id\":\"job-e\",\"kind\":\"evaluation\",\"state\":\"queued\"}";
    } else if (path.startsWith("/v1/jobs/job-e/stream") || path.startsWith("/v1/jobs/job-ens/stream")) {
      String events = path.contains("job-e/") ? "event: evaluation_progress\ndata: {\"sequence\":1,"
          + "\"examples_done\":40,\"examples_total\":40,\"correct\":30}\n\n"
          : "event: eval\ndata: {\"sequence\":1,\"step\":10,\"metric\":\"accuracy\",\"value\":0.9,"
          + "\"best\":true,\"member_values\":[0.5,0.75,1.0],\"member_mean\":0.75}\n\n"
          + "event: published\ndata: {\"sequence\":2,\"version_id\":\"v-ens\",\"prompt_name\":\"s\","
          + "\"version_number\":4,\"member_version_ids\":[\"m-0\",\"m-1\",\"m-2\"]}\n\n";
      byte[] b = (events + "event: end\ndata: {}\n\n").getBytes(StandardCharsets.UTF_8);
      x.getResponseHeaders().add("Content-Type", "text/event-stream");
      x.sendResponseHeaders(200, b.length);
      x.getResponseBody().write(b);
      x.close();
      return;
    } else if (path.equals("/v1/jobs/job-e")) {
      answer = "{\"id\":\"job-e\",\"kind\":\"evaluation\",\"state\":\"succeeded\",\"evaluation_outcome\":"
          + "{\"version_id\":\"v-ens\",\"dataset_id\":\"ds-m\",\"split\":\"validation\",\"metric\":"
          + "\"accuracy\",\"value\":0.75,\"examples\":40,\"evaluation_id\":12,\"member_values\":[0.5,0.7]}}";
    } else if (path.equals("/v1/jobs/job-ens")) {
      answer = "{\"id\":\"job-ens\",\"kind\":\"training\",\"state\":\"succeeded\",\"step\":10,"
          + "\"best_step\":10,\"best_metric\":0.9,\"published_version_id\":\"v-ens\","
          + "\"published_member_version_ids\":[\"m-0\",\"m-1\",\"m-2\"]}";
    } else if (path.endsWith("/environments/prod/promote")) {
      status = 409;
      answer = "{\"error\":{\"code\":\"ENVIRONMENT_ORDER\",\"message\":\"promote it to staging first\"}}";
    } else if (path.endsWith("/environments/dev/promote")) {
      answer = "{\"alias\":{\"prompt_name\":\"s\",\"environment\":\"dev\",\"version_id\":\"v-2\",\"version_number\":2},"
          + "\"changed\":true,\"event\":{\"id\":9,\"action\":\"promote\",\"actor\":\"me\"}}";
    } else if (path.endsWith("/environments/staging/promote")) {
      // staging holds v2 already: the gateway's no-op answer.
      answer = "{\"alias\":{\"prompt_name\":\"s\",\"environment\":\"staging\",\"version_id\":\"v-2\","
          + "\"version_number\":2},\"changed\":false}";
    } else if (path.startsWith("/v1/prompts?")) {
      answer = "{\"items\":[{\"name\":\"sentiment\",\"task\":\"sst2\",\"latest_version\":3,\"owner\":\"me\"}]}";
    } else if (path.equals("/v1/generate")) {
      answer = "{\"generations\":[{\"text\":\"positive\"},{\"text\":\"negative\"}]}";
    } else if (path.equals("/v1/jobs")) {
      status = 201;
      answer = body.contains("\"ensemble_size\"") ? "{\"id\":\"job-ens\",\"state\":\"queued\"}"
          : "{\"id\":\"job-7\",\"state\":\"queued\"}";
    } else if (path.startsWith("/v1/datasets?")) {
      status = 201;
      answer = "{\"id\":\"abc\",\"name\":\"d\",\"format\":\"jsonl\",\"num_train\":2,\"num_validation\":0}";
    } else if (path.equals("/v1/ensembles")) {
      status = 201;
      answer = "{\"id\":\"e-1\",\"prompt_name\":\"s\",\"number\":4,\"kind\":\"ensemble\",\"ensemble\":"
          + "{\"rule\":\"mean_log_prob\",\"members\":[{\"version_id\":\"v-1\",\"prompt_name\":\"a\","
          + "\"number\":1,\"length\":20},{\"version_id\":\"v-2\",\"prompt_name\":\"b\",\"number\":2,"
          + "\"length\":50}]}}";
    } else if (path.equals("/v1/gates/prod/acc") && x.getRequestMethod().equals("PUT")) {
      answer = "{\"gate\":{\"environment\":\"prod\",\"name\":\"acc\",\"dataset_id\":\"d\","
          + "\"split\":\"validation\",\"metric\":\"accuracy\",\"threshold\":0.85,\"max_regression\":0.01},"
          + "\"event\":{\"id\":12}}";
    } else if (path.startsWith("/v1/gates/prod/acc") && x.getRequestMethod().equals("DELETE")) {
      answer = "{\"id\":13,\"action\":\"delete_promotion_gate\"}";
    } else if (path.startsWith("/v1/versions/s%3A1/nearest-tokens?")) {
      answer = NEAREST;
    } else if (path.startsWith("/v1/versions/ens%3A1/nearest-tokens")) {
      status = 412;
      answer = "{\"error\":{\"code\":\"ENSEMBLE_NOT_SUPPORTED\",\"message\":\"Version ens:1 is an ensemble; "
          + "inspect one of its members: a:1, b:2.\"}}";
    } else {
      status = 404;
      answer = "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no route\"}}";
    }
    byte[] b = answer.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(status, b.length);
    x.getResponseBody().write(b);
    x.close();
  }

  private Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      String[] full = new String[args.length + 2];
      System.arraycopy(args, 0, full, 0, args.length);
      full[args.length] = "--gateway=" + url;
      full[args.length + 1] = "--api-key=k";
      int exit = new CommandLine(new PromptuneCli()).execute(full);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void listsPromptsAsATableOrJson() {
    Run r = run("prompts", "list");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("sentiment") && r.out().contains("NAME"), r.out());
    Run j = run("prompts", "list", "--json");
    assertTrue(j.out().contains("\"latest_version\" : 3"), j.out());
  }

  @Test
  void exitCodesFollowTheGatewaysAnswer() {
    Run notFound = run("prompts", "show", "nope");
    assertEquals(ExitCodes.NOT_FOUND, notFound.exit());
    assertTrue(notFound.err().contains("prompt 'nope' does not exist"), notFound.err());
    Run conflict = run("promote", "s", "--version", "2", "--to", "prod");
    assertEquals(ExitCodes.CONFLICT, conflict.exit());
    assertTrue(conflict.err().contains("staging first") && conflict.err().contains("ENVIRONMENT_ORDER"));
    Run usage = run("promote", "s", "--to", "prod");
    assertEquals(ExitCodes.USAGE, usage.exit());
  }

  @Test
  void aBadKeyIsExit4() {
    String[] args = {"prompts", "list", "--gateway=" + url, "--api-key=wrong"};
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(ExitCodes.AUTH, new CommandLine(new PromptuneCli()).execute(args));
    } finally {
      System.setErr(oldErr);
    }
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("Unknown API key"));
  }

  @Test
  void anUnreachableGatewayIsExit6() throws IOException {
    server.stop(0);
    Run r = run("prompts", "list");
    assertEquals(ExitCodes.UNAVAILABLE, r.exit());
    assertTrue(r.err().contains("Cannot reach the gateway"), r.err());
  }

  @Test
  void promoteSendsTheVersionAndReason() {
    Run r = run("promote", "s", "--version", "2", "--to", "dev", "--reason", "looks good");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("s@dev -> v2"), r.out());
    assertTrue(r.out().contains("audit event 9: promote by me"), r.out());
    assertTrue(requests.stream().anyMatch(q -> q.contains("\"version\":2") && q.contains("\"reason\":\"looks good\"")),
        requests.toString());
  }

  @Test
  void ensemblesCreateSendsTheMembersInOrder() {
    Run r = run("ensembles", "create", "s", "--member", "a:1", "--member", "b@prod", "--rule", "mean_log_prob");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("s:4 ensemble (mean_log_prob) e-1"), r.out());
    assertTrue(r.out().contains("member b:2 length 50"), r.out());
    assertTrue(requests.stream().anyMatch(q -> q.startsWith("POST /v1/ensembles ")
        && q.contains("\"members\":[\"a:1\",\"b@prod\"]") && q.contains("\"rule\":\"mean_log_prob\"")),
        requests.toString());
  }

  @Test
  void gatesSetAndDeleteSendTheGate() {
    Run set = run("gates", "set", "prod", "acc", "--dataset", "d", "--metric", "accuracy", "--min", "0.85",
        "--max-regression", "0.01", "--prompt", "s", "--reason", "bar");
    assertEquals(0, set.exit(), set.err());
    assertTrue(set.out().contains("gate acc@prod: accuracy on d/validation >= 0.85, at most 0.01 worse than current "
        + "(audit event 12)"), set.out());
    assertTrue(requests.stream().anyMatch(q -> q.startsWith("PUT /v1/gates/prod/acc ")
        && q.contains("\"threshold\":0.85") && q.contains("\"prompt_name\":\"s\"")
        && q.contains("\"split\":\"validation\"")), requests.toString());
    Run del = run("gates", "delete", "prod", "acc", "--reason", "obsolete");
    assertEquals(0, del.exit(), del.err());
    assertTrue(del.out().contains("deleted gate acc@prod (audit event 13)"), del.out());
    assertTrue(requests.stream().anyMatch(q -> q.startsWith("DELETE /v1/gates/prod/acc?reason=obsolete")),
        requests.toString());
  }

  @Test
  void promotingToTheVersionAlreadyThereSaysNothingChanged() {
    Run r = run("promote", "s", "--version", "2", "--to", "staging");
    assertEquals(0, r.exit(), r.err());
    assertEquals("s@staging already at version 2 (v-2); nothing changed", r.out().strip());
  }

  @Test
  void generatePrintsEachInputWithItsAnswer() {
    Run r = run("generate", "--prompt", "s@prod", "a", "b");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("a\t=> positive") && r.out().contains("b\t=> negative"), r.out());
  }

  @Test
  void trainDetachedPrintsTheJobId() {
    Run r = run("train", "--dataset", "d", "--steps", "10", "--labels", "positive,negative", "--detach");
    assertEquals(0, r.exit(), r.err());
    assertEquals("job-7", r.out().strip());
    assertTrue(requests.stream().anyMatch(q -> q.contains("\"max_steps\":10")
        && q.contains("\"labels\":[\"positive\",\"negative\"]")), requests.toString());
    assertEquals(ExitCodes.USAGE, run("train", "--steps", "10").exit(), "no dataset");
  }

  @Test
  void aPromotionAGateRefusesNamesTheGateAndItsNumbers() {
    Run r = run("promote", "gated", "--version", "3", "--to", "prod");
    assertEquals(ExitCodes.CONFLICT, r.exit());
    assertTrue(r.err().contains("refused by promotion gate 'acc'"), r.err());
    assertTrue(r.err().contains("accuracy on d/validation"), r.err());
    assertTrue(r.err().matches("(?s).*required\\s+0\\.85.*found\\s+0\\.8\\b.*current\\s+0\\.86.*"), r.err());
    assertTrue(r.err().contains("--force"), r.err());
  }

  @Test
  void trainAnEnsembleShowsMemberMetricsAndVersions() {
    Run r = run("train", "--dataset", "d", "--steps", "10", "--ensemble", "3", "--ensemble-rule", "mean_log_prob");
    assertEquals(0, r.exit(), r.err());
    assertTrue(requests.stream().anyMatch(q -> q.startsWith("POST /v1/jobs ") && q.contains("\"ensemble_size\":3")
        && q.contains("\"ensemble_rule\":\"mean_log_prob\"")), requests.toString());
    assertTrue(r.out().contains("dev accuracy 0.9000 (ensemble), members 0.5000 0.7500 1.0000 (mean 0.7500)"),
        r.out());
    assertTrue(r.out().contains("published s:4 (ensemble version v-ens, members m-0, m-1, m-2)"), r.out());
    assertTrue(r.out().contains("published ensemble version v-ens"), r.out());
    assertTrue(r.out().contains("member 2: version m-2 — dev metric 1.0000 at the best step"), r.out());
  }

  @Test
  void evaluateSubmitsTheSpecAndPrintsTheOutcome() {
    Run detached = run("evaluate", "s@prod", "--dataset", "movies", "--mode", "exact", "--max-examples", "40");
    assertEquals(0, detached.exit(), detached.err());
    assertEquals("job-e", detached.out().strip());
    assertTrue(requests.stream().anyMatch(q -> q.startsWith("POST /v1/evaluation-jobs ")
        && q.contains("\"version\":\"s@prod\"") && q.contains("\"dataset\":\"movies\"")
        && q.contains("\"split\":\"validation\"") && q.contains("\"mode\":\"exact_match\"")
        && q.contains("\"max_examples\":40")), requests.toString());
    Run followed = run("evaluate", "s@prod", "--dataset", "movies", "--follow");
    assertEquals(0, followed.exit(), followed.err());
    assertTrue(followed.out().contains("evaluated 40/40 examples, 30 correct so far"), followed.out());
    assertTrue(followed.out().contains("s@prod (version v-ens) on ds-m/validation: accuracy 0.7500 over 40 examples "
        + "(recorded as evaluation 12)"), followed.out());
    assertTrue(followed.out().contains("member 1: accuracy 0.7000"), followed.out());
    assertTrue(followed.out().contains("member mean 0.6000, ensemble 0.7500"), followed.out());
    assertEquals(ExitCodes.USAGE, run("evaluate", "s:1", "--dataset", "d", "--mode", "fuzzy").exit());
    Run jobsFollow = run("jobs", "follow", "job-e");
    assertEquals(0, jobsFollow.exit(), jobsFollow.err());
    assertTrue(jobsFollow.out().contains("accuracy 0.7500 over 40 examples"), jobsFollow.out());
  }

  @Test
  void theDemoPrintsMembersMeanBestAndEnsemble() throws IOException {
    var outcome = GatewayClient.JSON.readTree("{\"metric\":\"accuracy\",\"value\":0.9,\"examples\":120,"
        + "\"member_values\":[0.5,0.75,1.0]}");
    String table = DemoCommand.ensembleTable(outcome);
    assertTrue(table.contains("member 1               0.500"), table);
    assertTrue(table.contains("member 3               1.000"), table);
    assertTrue(table.contains("member mean            0.750"), table);
    assertTrue(table.contains("best member            1.000"), table);
    assertTrue(table.contains("ensemble (majority)    0.900   (120 examples)"), table);
  }

  @Test
  void uploadStreamsTheFileWithItsFormat(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("d.jsonl");
    Files.writeString(f, "{\"input\":\"a\",\"target\":\"b\"}\n");
    Run r = run("datasets", "upload", f.toString(), "--name", "d");
    assertEquals(0, r.exit(), r.err());
    assertTrue(requests.stream().anyMatch(q -> q.startsWith("POST /v1/datasets?name=d&format=jsonl")
        && q.contains("\"input\":\"a\"")), requests.toString());
    assertEquals(ExitCodes.USAGE, run("datasets", "upload", dir.resolve("missing.jsonl").toString(), "--name", "d")
        .exit());
  }

  @Test
  void progressBarShowsStepLossMetricAndEta() {
    String bar = JobFollower.bar(50, 200, 0.6931, "accuracy", 0.75, java.time.Duration.ofSeconds(95));
    assertTrue(bar.startsWith("[######..................]  25%  step 50/200"), bar);
    assertTrue(bar.contains("loss 0.6931") && bar.contains("dev accuracy 0.7500") && bar.contains("ETA 1m35s"), bar);
  }

  @Test
  void localKeysStoreOnlyHashesForTheGateway(@TempDir Path home) throws IOException {
    LocalKeys keys = new LocalKeys(home);
    String key = LocalKeys.newKey();
    keys.register("ci", "trainer", key);
    keys.saveCliKey(key);
    String file = Files.readString(keys.keyFile());
    assertTrue(file.contains("ci:trainer:" + LocalKeys.sha256Hex(key)), file);
    assertTrue(!file.contains(key), "the key itself is never in the gateway's file");
    assertEquals(key, keys.cliKey().orElseThrow());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(keys.cliKeyFile())));
  }

  /** A two-row nearest-token report as the gateway answers it. */
  static final String NEAREST = "{\"version_id\":\"v-1\",\"prompt_name\":\"s\",\"number\":1,\"length\":2,"
      + "\"d_model\":4,\"k\":2,\"labels\":[\"positive\",\"negative\"],\"labels_source\":\"request\","
      + "\"rows\":[{\"index\":0,\"norm\":3.0,\"label_match\":true,\"tokens\":[{\"token_id\":7,"
      + "\"piece\":\"\u2581positive\",\"cosine\":0.91,\"label\":\"positive\"},{\"token_id\":8,\"piece\":\"\u2581good\","
      + "\"cosine\":0.52}]},{\"index\":1,\"norm\":5.0,\"label_match\":false,\"tokens\":[{\"token_id\":9,"
      + "\"piece\":\"a b\",\"cosine\":0.4}]}],"
      + "\"baseline\":{\"seed\":\"42\",\"method\":\"gaussian\",\"rows\":[{\"index\":0,\"norm\":3.0,"
      + "\"label_match\":false,\"tokens\":[{\"token_id\":3,\"piece\":\"x\",\"cosine\":0.12}]},{\"index\":1,"
      + "\"norm\":5.0,\"label_match\":false,\"tokens\":[{\"token_id\":4,\"piece\":\"y\",\"cosine\":0.08}]}]},"
      + "\"summary\":{\"mean_top1_cosine\":0.655,\"baseline_mean_top1_cosine\":0.1,\"rows_with_label_match\":1,"
      + "\"baseline_rows_with_label_match\":0}}";

  @Test
  void inspectPrintsEachRowsNeighboursBesideTheRandomBaseline() {
    Run r = run("prompts", "inspect", "s:1", "--k", "2", "--labels", "positive,negative");
    assertEquals(0, r.exit(), r.err());
    assertTrue(requests.stream().anyMatch(q -> q.startsWith(
        "GET /v1/versions/s%3A1/nearest-tokens?k=2&labels=positive%2Cnegative ")), requests.toString());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(1).contains("positive, negative (from request)"), r.out());
    String row0 = lines.stream().filter(l -> l.startsWith("0 ")).findFirst().orElseThrow();
    assertTrue(row0.matches("0\\s+3\\.000\\s+\u2581positive\\* 0\\.910, \u2581good 0\\.520\\s+\\*\\s+x 0\\.120"), row0);
    String row1 = lines.stream().filter(l -> l.startsWith("1 ")).findFirst().orElseThrow();
    assertTrue(row1.contains("a\\x20b 0.400") && !row1.contains("*") && row1.endsWith("y 0.080"), row1);
    assertTrue(r.out().contains("mean top-1 cosine: prompt 0.655, random 0.100"), r.out());
    assertTrue(r.out().contains("rows with a label among their neighbours: prompt 1/2, random 0/2"), r.out());

    Run ens = run("prompts", "inspect", "ens:1");
    assertEquals(5, ens.exit(), ens.err());
    assertTrue(ens.err().contains("inspect one of its members: a:1, b:2") && ens.err().contains(
        "[ENSEMBLE_NOT_SUPPORTED]"), ens.err());
  }
}
