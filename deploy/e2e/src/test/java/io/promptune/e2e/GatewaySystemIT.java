package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product as a user meets it, on real processes through the real launcher: {@code promptune demo} trains,
 * publishes, promotes and answers with a prompt (accuracy must improve); the gateway commands work against that
 * deployment with the documented exit codes; and the web console, driven in a real headless Chromium, shows a job's
 * loss curve growing live and promotes a version. About three minutes on 2 cores; part of CI (.ci/run installs
 * Chromium when it can; without it the browser test is skipped with a message).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewaySystemIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ACCURACY = Pattern.compile("dev accuracy: before ([0-9.]+)\\s+->\\s+after ([0-9.]+)");

  @TempDir
  static Path home;

  private static Cli cli;

  @BeforeAll
  static void setUp() {
    cli = new Cli(home);
  }

  @AfterAll
  static void tearDown() throws Exception {
    cli.run("down");
  }

  private static JsonNode json(Cli.Result r) throws Exception {
    assertEquals(0, r.exitCode(), r.output());
    String out = r.output();
    return JSON.readTree(out.substring(out.indexOf('{') >= 0 && (out.indexOf('[') < 0 || out.indexOf('{') < out
        .indexOf('[')) ? out.indexOf('{') : out.indexOf('[')));
  }

  @Test
  @Order(1)
  void demoTrainsPublishesPromotesAndImproves() throws Exception {
    Cli.Result demo = cli.run("demo", "--timeout", "400");
    assertEquals(0, demo.exitCode(), demo.output());
    assertTrue(demo.output().contains("generated:tiny-byt5"), "the demo says which model it uses:\n" + demo.output());
    Matcher m = ACCURACY.matcher(demo.output());
    assertTrue(m.find(), "no accuracy line in:\n" + demo.output());
    double before = Double.parseDouble(m.group(1));
    double after = Double.parseDouble(m.group(2));
    assertTrue(after >= before + 0.2 && after >= 0.8, "accuracy did not improve enough: " + before + " -> " + after
        + "\n" + demo.output());
    for (String env : new String[] {"dev", "staging", "prod"}) {
      assertTrue(demo.output().lines().anyMatch(l -> l.strip().startsWith(env) && l.contains("-> v")),
          "not promoted to " + env + ":\n" + demo.output());
    }
    // The ensemble section: one job trains 3 members, an evaluation job scores them and the majority vote, and the
    // table prints each member next to the ensemble (the paper's table, in small).
    Matcher table = ENSEMBLE_TABLE.matcher(demo.output());
    assertTrue(table.find(), "no ensemble table in:\n" + demo.output());
    double[] members = {Double.parseDouble(table.group(1)), Double.parseDouble(table.group(2)),
        Double.parseDouble(table.group(3))};
    double mean = Double.parseDouble(table.group(4));
    assertEquals((members[0] + members[1] + members[2]) / 3, mean, 0.0015, "member mean:\n" + demo.output());
    double ensemble = Double.parseDouble(table.group(6));
    assertTrue(ensemble >= 0 && ensemble <= 1, demo.output());
  }

  static final java.util.regex.Pattern ENSEMBLE_TABLE = java.util.regex.Pattern.compile(
      "member 1\\s+([0-9.]+)\\s+member 2\\s+([0-9.]+)\\s+member 3\\s+([0-9.]+)\\s+member mean\\s+([0-9.]+)\\s+"
          + "best member\\s+([0-9.]+)\\s+ensemble \\(majority\\)\\s+([0-9.]+)");

  @Test
  @Order(2)
  void gatewayCommandsWorkAgainstTheDeployment() throws Exception {
    JsonNode prompts = json(cli.run("prompts", "list", "--json"));
    assertTrue(prompts.path("items").toString().contains("\"demo-sentiment\""), prompts.toString());
    JsonNode shown = json(cli.run("prompts", "show", "demo-sentiment", "--json"));
    assertTrue(shown.path("environments").size() >= 3, shown.toString());
    Cli.Result lineage = cli.run("prompts", "lineage", "demo-sentiment@prod");
    assertEquals(0, lineage.exitCode(), lineage.output());
    Cli.Result gen = cli.run("generate", "--prompt", "demo-sentiment@prod", "the plot was superb");
    assertEquals(0, gen.exitCode(), gen.output());
    assertTrue(gen.output().contains("the plot was superb\t=> "), gen.output());
    Cli.Result score = cli.run("score", "--prompt", "demo-sentiment", "-c", "positive,negative",
        "the ending was wonderful", "the cast was terrible");
    assertEquals(0, score.exitCode(), score.output());

    assertEquals(3, cli.run("prompts", "show", "no-such-prompt").exitCode(), "not found");
    Cli.Result order = cli.run("promote", "demo-sentiment", "--version", "1", "--to", "prod", "--expect-current",
        "00000000-0000-0000-0000-000000000000");
    assertEquals(5, order.exitCode(), order.output());
    Cli.Result nothing = cli.run("rollback", "demo-sentiment", "--env", "prod");
    assertEquals(5, nothing.exitCode(), "prod held only one version: " + nothing.output());
    Cli bad = new Cli(home, Map.of("PROMPTUNE_API_KEY", "not-a-key"));
    Cli.Result denied = bad.run("prompts", "list");
    assertEquals(4, denied.exitCode(), denied.output());
    assertTrue(denied.output().contains("Unknown API key"), denied.output());
    Cli.Result usage = cli.run("promote", "demo-sentiment", "--to", "prod");
    assertEquals(2, usage.exitCode(), usage.output());
  }

  @Test
  @Order(3)
  void consoleShowsALiveLossCurveAndPromotes() throws Exception {
    Chromium.assumeAvailable();
    String key = Files.readString(home.resolve("keys/cli.key")).strip();
    Cli.Result submitted = cli.run("train", "--dataset", "demo-sentiment", "--output-prompt", "browser-sentiment",
        "--steps", "80", "--prompt-length", "8", "--batch-size", "8", "--eval-interval", "20", "--labels",
        "positive,negative", "--input-template", "{input}", "--target-template", "{target}", "--detach");
    assertEquals(0, submitted.exitCode(), submitted.output());
    String jobId = submitted.output().strip().lines().reduce((a, b) -> b).orElseThrow().strip();
    String gateway = "http://127.0.0.1:" + cli.httpPort(8080);
    try (Chromium browser = new Chromium()) {
      try {
        browser.navigate(gateway + "/console/");
        browser.waitForJs("document.getElementById('login-key') && !document.getElementById('login-view').hidden",
            Duration.ofSeconds(20), "the login form");
        browser.eval("document.getElementById('login-key').value = " + JSON.writeValueAsString(key)
            + "; document.getElementById('login-button').click(); true");
        browser.waitForJs("!document.getElementById('nav').hidden", Duration.ofSeconds(20), "logging in");
        assertEquals("admin", browser.eval("document.getElementById('who-role').textContent").asText());

        browser.navigate(gateway + "/console/#/jobs/" + jobId);
        browser.waitForJs("document.getElementById('loss-chart') && +document.getElementById('loss-chart')"
            + ".dataset.points >= 2", Duration.ofMinutes(3), "the first loss points");
        int first = browser.eval("+document.getElementById('loss-chart').dataset.points").asInt();
        browser.waitForJs("+document.getElementById('loss-chart').dataset.points > " + first,
            Duration.ofMinutes(3), "the loss curve to grow past " + first + " points");
        browser.waitForJs("document.querySelector('[data-testid=job-state]').textContent === 'succeeded'",
            Duration.ofMinutes(8), "the job to succeed");
        browser.waitForJs("+document.getElementById('metric-chart').dataset.points >= 1", Duration.ofSeconds(30),
            "the dev-metric curve");
        browser.screenshot(Path.of("target/console-job.png"));

        // The System page, while a long job (submitted now, cancelled after) keeps the runtime busy: it counts the job
        // and shows runtime tokens/s, and it refreshes by itself. (After the job page, so that page sees its own job
        // still training.)
        Cli.Result busy = cli.run("train", "--dataset", "demo-sentiment", "--output-prompt", "browser-system",
            "--steps", "5000", "--prompt-length", "8", "--batch-size", "8", "--labels", "positive,negative",
            "--input-template", "{input}", "--target-template", "{target}", "--detach");
        assertEquals(0, busy.exitCode(), busy.output());
        String busyId = busy.output().strip().lines().reduce((a, b) -> b).orElseThrow().strip();
        browser.navigate(gateway + "/console/#/system");
        browser.waitForJs("document.getElementById('system-jobs-running') && (+document.getElementById("
            + "'system-queue-depth').textContent) + (+document.getElementById('system-jobs-running').textContent) >= 1",
            Duration.ofSeconds(60), "the System page to count the submitted job");
        browser.waitForJs("+document.getElementById('system-tokens-per-second').textContent > 0",
            Duration.ofSeconds(60), "the System page to show runtime tokens/s");
        String sampled = browser.eval("document.getElementById('system-note').dataset.sampledAt").asText();
        browser.waitForJs("document.getElementById('system-note').dataset.sampledAt !== "
            + JSON.writeValueAsString(sampled), Duration.ofSeconds(15), "the System page to refresh by itself");
        browser.screenshot(Path.of("target/console-system.png"));

        Cli.Result cancelled = cli.run("jobs", "cancel", busyId, "--reason", "only there to keep the runtime busy");
        assertEquals(0, cancelled.exitCode(), cancelled.output());

        browser.navigate(gateway + "/console/#/prompts/browser-sentiment");
        browser.waitForJs("document.querySelector('[data-testid=promote-dev-1]')", Duration.ofSeconds(30),
            "the promote button of v1");
        browser.eval("document.getElementById('promote-reason').value = 'promoted from the console test'; "
            + "document.querySelector('[data-testid=promote-dev-1]').click(); true");
        browser.waitForJs("document.querySelector('[data-env=dev] [data-testid=env-version]').textContent === 'v1'",
            Duration.ofSeconds(30), "dev to point at v1");
        browser.waitForJs("document.querySelectorAll('[data-testid=lineage-node]').length >= 1",
            Duration.ofSeconds(30), "the lineage graph");
        browser.screenshot(Path.of("target/console-prompt.png"));
      } catch (AssertionError | RuntimeException e) {
        browser.screenshot(Path.of("target/console-failure.png"));
        throw e;
      }
    }
    JsonNode shown = json(cli.run("prompts", "show", "browser-sentiment", "--json"));
    JsonNode dev = null;
    for (JsonNode a : shown.path("environments")) {
      if (a.path("environment").asText().equals("dev")) {
        dev = a;
      }
    }
    assertTrue(dev != null && dev.path("version_number").asInt() == 1, shown.toString());
  }
}
