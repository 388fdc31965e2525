package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * deploy/observability stays valid without a running system: promtool accepts the alert rules and the scrape
 * configuration (skipped, loudly, where promtool is not installed: apt-get install prometheus), the dashboard parses,
 * and every promptune_* series it queries is registered somewhere in the services' sources (the e2e scrape test checks
 * the same against live /q/metrics).
 */
class ObservabilityAssetsTest {

  static Path dir() {
    return DashboardMetrics.repoRoot().resolve("deploy/observability");
  }

  static Path promtool() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(d, "promtool");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  static String run(Path cwd, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
    return out;
  }

  @Test
  void promtoolAcceptsTheRulesAndTheScrapeConfig() throws Exception {
    Path promtool = promtool();
    if (promtool == null) {
      System.err.println("!!! SKIPPING promtool checks: promtool is not on PATH (Debian: apt-get install prometheus)");
      Assumptions.abort("promtool not installed");
    }
    String out = run(dir(), promtool.toString(), "check", "rules", "alerts.yml");
    assertTrue(out.contains("SUCCESS: 5 rules found"), out);
    // The scrape jobs read their key from promptune-scrape.key beside the configuration, which promtool stats:
    // check a copy next to a stand-in key.
    Path scratch = Files.createTempDirectory("promtool");
    for (String f : List.of("prometheus.yml", "alerts.yml")) {
      Files.copy(dir().resolve(f), scratch.resolve(f));
    }
    Files.writeString(scratch.resolve("promptune-scrape.key"), "stand-in\n");
    run(scratch, promtool.toString(), "check", "config", "prometheus.yml");
  }

  @Test
  void everyScrapeJobSendsAKey() throws IOException {
    for (String f : List.of("prometheus.yml", "prometheus-kubernetes.yml")) {
      String config = Files.readString(dir().resolve(f));
      long jobs = config.lines().filter(l -> l.strip().startsWith("- job_name:")).count();
      long keyed = config.lines().filter(l -> l.strip().startsWith("authorization: {type: Bearer, credentials_file:"))
          .count();
      assertTrue(jobs > 0 && jobs == keyed, f + ": " + keyed + " of " + jobs + " scrape jobs send a key (/q/metrics "
          + "answers 401 without one)");
    }
  }

  @Test
  void alertRulesCoverTheAgreedConditions() throws IOException {
    String rules = Files.readString(dir().resolve("alerts.yml"));
    for (String needle : List.of("promptune_trainer_jobs_finished_total", "promptune_trainer_queue_depth",
        "promptune_runtime_rpc_seconds_bucket", "up{job=~\"promptune-.*\"}", "promptune_gateway_auth_failures_total")) {
      assertTrue(rules.contains(needle), needle);
    }
  }

  @Test
  void everyDashboardSeriesIsRegisteredByAService() throws IOException {
    Set<String> series = DashboardMetrics.series(DashboardMetrics.dashboard());
    assertTrue(series.size() >= 15, series.toString());
    StringBuilder sources = new StringBuilder();
    for (String module : List.of("model-runtime", "prompt-registry", "trainer-service", "gateway")) {
      try (Stream<Path> files = Files.walk(DashboardMetrics.repoRoot().resolve(module).resolve("src/main/java"))) {
        for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          sources.append(Files.readString(f));
        }
      }
    }
    List<String> missing = new ArrayList<>();
    for (String s : series) {
      if (!sources.toString().contains('"' + DashboardMetrics.meterName(s) + '"')) {
        missing.add(s + " (meter " + DashboardMetrics.meterName(s) + ")");
      }
    }
    assertTrue(missing.isEmpty(), "dashboard queries series no service registers: " + missing);
  }

  @Test
  void inScrapeMatchesWholeNames() {
    String scrape = "# HELP x\npromptune_trainer_queue_depth 3.0\npromptune_trainer_jobs{state=\"QUEUED\"} 1.0\n";
    assertTrue(DashboardMetrics.inScrape("promptune_trainer_queue_depth", scrape));
    assertTrue(DashboardMetrics.inScrape("promptune_trainer_jobs", scrape));
    assertFalse(DashboardMetrics.inScrape("promptune_trainer", scrape));
  }
}
