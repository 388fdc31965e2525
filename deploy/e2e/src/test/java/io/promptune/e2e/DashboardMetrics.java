package io.promptune.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The promptune_* series the Grafana dashboard (deploy/observability/grafana-dashboard.json) queries. */
final class DashboardMetrics {

  static final Pattern SERIES = Pattern.compile("\\bpromptune_[a-z0-9_]+");

  private DashboardMetrics() {}

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !p.resolve("deploy/observability").toFile().isDirectory()) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("deploy/observability not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static Path dashboard() {
    return repoRoot().resolve("deploy/observability/grafana-dashboard.json");
  }

  /** Every series name in every panel's PromQL (as written: with _bucket, _sum, _count, _total). */
  static Set<String> series(Path dashboard) throws IOException {
    JsonNode root = new ObjectMapper().readTree(dashboard.toFile());
    Set<String> out = new TreeSet<>();
    for (JsonNode panel : root.path("panels")) {
      for (JsonNode t : panel.path("targets")) {
        Matcher m = SERIES.matcher(t.path("expr").asText());
        while (m.find()) {
          out.add(m.group());
        }
      }
    }
    return out;
  }

  /** The series as a /q/metrics scrape names it: the name itself or a sample line starting with it. */
  static boolean inScrape(String series, String scrape) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + "{") || line.startsWith(series + " ")) {
        return true;
      }
    }
    return false;
  }

  /** The Micrometer meter name behind a Prometheus series: promptune_runtime_rpc_seconds_bucket → promptune.runtime.rpc. */
  static String meterName(String series) {
    String s = series.replaceAll("_(bucket|sum|count|max)$", "").replaceAll("_total$", "")
        .replaceAll("_seconds$", "");
    return s.replace('_', '.');
  }
}
