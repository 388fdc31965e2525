package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The metrics of real processes move by exactly what was done (issue 10): scrape every service's /q/metrics (with a
 * key; without one it is 401, health stays open) before and after a training job of {@link #STEPS} steps, a
 * promotion, one inference call through the gateway and one refused key, and compare; the queue-depth gauge counts a
 * second job waiting behind the first (then cancelled); the metrics' exemplars show the generate call as one trace in
 * the gateway, the runtime and the registry (span export is off on the shared deployment, and its text logs carry no
 * trace ids); every series the Grafana dashboard queries is in the scrapes; and GET /v1/system reads the runtime's
 * and the trainer's scrapes. On the shared deployment; under 20 s.
 */
@ExtendWith(SharedDeployment.class)
class MetricsIT {

  static final int STEPS = 8;
  static final String PROMPT = "e2e-metrics-sentiment";

  static Deployment deployment;
  static String key;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  /** Service → default HTTP port. */
  static final Map<String, Integer> SERVICES = new LinkedHashMap<>(Map.of("runtime", 8101, "registry", 8102,
      "trainer", 8103, "gateway", 8080));

  @BeforeAll
  static void up(Deployment shared) throws Exception {
    deployment = shared;
    key = shared.adminKey();
  }

  static HttpResponse<String> get(int port, String path, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String scrape(String service) throws Exception {
    HttpResponse<String> r = get(deployment.httpPort(SERVICES.get(service)), "/q/metrics", key);
    assertEquals(200, r.statusCode(), service + " /q/metrics: " + r.body());
    return r.body();
  }

  static Map<String, String> scrapeAll() throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    for (String s : SERVICES.keySet()) {
      m.put(s, scrape(s));
    }
    return m;
  }

  /** The sum of the samples of {@code name} carrying every label given as {@code k="v"}; 0 when there are none. */
  static double sum(String scrape, String name, String... labels) {
    double total = 0;
    for (String raw : scrape.split("\n")) {
      // An exemplar (" # {trace_id=...} value time") follows the sample on some lines.
      String line = raw.contains(" # ") ? raw.substring(0, raw.indexOf(" # ")) : raw;
      if (!(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      int close = line.indexOf('}');
      String labelPart = close > 0 && line.charAt(name.length()) == '{' ? line.substring(name.length() + 1, close) : "";
      boolean all = true;
      for (String l : labels) {
        all &= ("," + labelPart + ",").contains("," + l + ",");
      }
      if (all) {
        String[] f = line.substring(close > 0 ? close + 1 : name.length()).strip().split("\\s+");
        double v = Double.parseDouble(f[0]);
        total += Double.isNaN(v) ? 0 : v;
      }
    }
    return total;
  }

  /** The trace ids of the exemplars on the samples of {@code name} that carry every label given. */
  static Set<String> exemplarTraces(String scrape, String name, String... labels) {
    Set<String> out = new java.util.TreeSet<>();
    for (String line : scrape.split("\n")) {
      int hash = line.indexOf(" # {");
      if (hash < 0 || !line.startsWith(name)) {
        continue;
      }
      String sample = line.substring(0, hash);
      boolean all = true;
      for (String l : labels) {
        all &= sample.contains(l);
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("trace_id=\"([0-9a-f]{32})\"")
          .matcher(line.substring(hash));
      if (all && m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  static List<String> lines(String scrape, String prefix) {
    return scrape.lines().filter(l -> l.startsWith(prefix) && !l.contains("_bucket")).toList();
  }

  @Test
  void metricsAreFailClosedAndHealthIsOpen() throws Exception {
    for (var s : SERVICES.entrySet()) {
      int port = deployment.httpPort(s.getValue());
      HttpResponse<String> none = get(port, "/q/metrics", null);
      assertEquals(401, none.statusCode(), s.getKey() + ": " + none.body());
      assertTrue(none.body().contains("\"UNAUTHENTICATED\""), s.getKey() + ": " + none.body());
      assertEquals(401, get(port, "/q/metrics", "not-a-key").statusCode(), s.getKey());
      assertEquals(200, get(port, "/q/health/live", null).statusCode(), s.getKey());
    }
    // The gateway reads the runtime's and the trainer's scrapes with its service key for the console's System page.
    HttpResponse<String> system = get(deployment.httpPort(8080), "/v1/system", key);
    assertEquals(200, system.statusCode(), system.body());
    var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(system.body());
    for (var source : body.path("sources")) {
      assertTrue(source.path("ok").asBoolean(), system.body());
    }
    assertEquals(2, body.path("sources").size(), system.body());
    assertTrue(body.path("queue_depth").isNumber() && body.path("jobs_running").isNumber(), system.body());
  }

  @Test
  void countersMoveByExactlyWhatWasDoneAndTheDashboardFindsEverySeries() throws Exception {
    Dataset dataset = deployment.uploadJsonl("e2e-metrics", SentimentData.train(), SentimentData.validation());
    JobSpec spec = JobSpec.newBuilder().setDataset(dataset.getName())
        .setTaskFormat(TaskFormat.newBuilder().setName("identity").addAllLabels(SentimentData.LABELS))
        .setPromptLength(4).setInit(PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance()))
        .setBatchSize(4).setMaxSteps(STEPS).setEvalInterval(STEPS).setSeed(5).setOutputPrompt(PROMPT)
        .setTask("sentiment").build();

    // The queue-depth gauge (read from the database, cached up to promptune.metrics.jobs-max-age = 2 s) counts a job
    // that waits: a long job occupies the trainer (one job at a time), a second one waits behind it; both are then
    // cancelled, before the counters below are read, so they do not move them.
    double queued0 = sum(scrape("trainer"), "promptune_trainer_queue_depth");
    Job blocker = deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec.toBuilder()
        .setMaxSteps(100_000).setEvalInterval(100_000).setOutputPrompt(PROMPT + "-blocker")).build());
    Job waiting = deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec.toBuilder()
        .setMaxSteps(2).setOutputPrompt(PROMPT + "-queued")).build());
    boolean seen = false;
    for (Instant until = Instant.now().plusSeconds(20); !seen && Instant.now().isBefore(until); Thread.sleep(200)) {
      seen = sum(scrape("trainer"), "promptune_trainer_queue_depth") >= queued0 + 1;
    }
    Job stillWaiting = deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(waiting.getId()).build());
    assertEquals(JobState.QUEUED, stillWaiting.getState(), "the second job should wait behind the long one");
    assertTrue(seen, "promptune_trainer_queue_depth never counted the queued job");
    for (Job j : List.of(waiting, blocker)) {
      deployment.trainer().cancelJob(io.promptune.api.v1.CancelJobRequest.newBuilder().setJobId(j.getId())
          .setReason("e2e: only there to fill the queue").build());
    }
    deployment.watchToEnd(blocker.getId(), Duration.ofMinutes(2));
    assertEquals(JobState.CANCELLED, deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(waiting.getId())
        .build()).getState());

    Map<String, String> before = scrapeAll();
    Instant t0 = Instant.now();
    Job submitted = deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build());
    deployment.watchToEnd(submitted.getId(), Duration.ofMinutes(2));
    Job job = deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(submitted.getId()).build());
    assertEquals(JobState.SUCCEEDED, job.getState(), job.getReason());
    System.out.printf("[MetricsIT] job of %d steps in %d ms%n", STEPS, Duration.between(t0, Instant.now()).toMillis());

    var promoted = deployment.registry().promote(PromoteRequest.newBuilder().setPromptName(PROMPT)
        .setEnvironment("dev").setVersionNumber(1).setReason("e2e metrics").build());
    assertEquals(job.getPublishedVersionId(), promoted.getAlias().getVersionId());

    int gateway = deployment.httpPort(8080);
    HttpResponse<String> generated = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway
        + "/v1/generate")).header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + PROMPT + "@dev\",\"inputs\":[{\"text\":"
            + "\"a fine film\"}],\"max_new_tokens\":4}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, generated.statusCode(), generated.body());
    assertEquals(401, get(gateway, "/v1/prompts", "e2e-metrics-wrong-key").statusCode());

    Map<String, String> after = scrapeAll();
    // The job-state gauges are cached for up to 2 s: read the trainer again until SUCCEEDED has moved.
    double succeeded0 = sum(before.get("trainer"), "promptune_trainer_jobs", "state=\"SUCCEEDED\"");
    for (Instant until = Instant.now().plusSeconds(5); sum(after.get("trainer"), "promptune_trainer_jobs",
        "state=\"SUCCEEDED\"") == succeeded0 && Instant.now().isBefore(until); Thread.sleep(250)) {
      after.put("trainer", scrape("trainer"));
    }
    String rt0 = before.get("runtime");
    String rt1 = after.get("runtime");
    String tr0 = before.get("trainer");
    String tr1 = after.get("trainer");
    assertEquals(STEPS, sum(tr1, "promptune_trainer_steps_total") - sum(tr0, "promptune_trainer_steps_total"),
        () -> "steps executed; before: " + lines(tr0, "promptune_trainer_step") + "\nafter: "
            + lines(tr1, "promptune_trainer_step"));
    double fb = sum(rt1, "promptune_runtime_rpc_calls_total", "rpc=\"ForwardBackward\"", "code=\"OK\"")
        - sum(rt0, "promptune_runtime_rpc_calls_total", "rpc=\"ForwardBackward\"", "code=\"OK\"");
    assertTrue(fb >= STEPS, "ForwardBackward calls: " + fb);
    assertEquals(1, sum(tr1, "promptune_trainer_jobs_finished_total", "state=\"SUCCEEDED\"")
        - sum(tr0, "promptune_trainer_jobs_finished_total", "state=\"SUCCEEDED\""), "jobs finished");
    assertEquals(1, sum(tr1, "promptune_trainer_jobs", "state=\"SUCCEEDED\"")
        - sum(tr0, "promptune_trainer_jobs", "state=\"SUCCEEDED\""), "jobs SUCCEEDED gauge");
    assertEquals(1, sum(after.get("registry"), "promptune_registry_promotions_total", "environment=\"dev\"",
        "outcome=\"ok\"") - sum(before.get("registry"), "promptune_registry_promotions_total",
        "environment=\"dev\"", "outcome=\"ok\""), "promotions");
    assertEquals(1, sum(after.get("registry"), "promptune_registry_versions_published_total", "outcome=\"ok\"")
        - sum(before.get("registry"), "promptune_registry_versions_published_total", "outcome=\"ok\""), "published");
    assertEquals(1, sum(rt1, "promptune_runtime_rpc_calls_total", "rpc=\"Generate\"", "code=\"OK\"")
        - sum(rt0, "promptune_runtime_rpc_calls_total", "rpc=\"Generate\"", "code=\"OK\""), "Generate calls");
    assertTrue(sum(rt1, "promptune_runtime_tokens_total", "kind=\"generated\"")
        > sum(rt0, "promptune_runtime_tokens_total", "kind=\"generated\""), "generated tokens");
    assertEquals(1, sum(after.get("gateway"), "promptune_gateway_auth_failures_total", "reason=\"unknown_key\"")
        - sum(before.get("gateway"), "promptune_gateway_auth_failures_total", "reason=\"unknown_key\""),
        "auth failures");
    assertEquals(1, sum(after.get("gateway"), "promptune_gateway_http_requests_seconds_count",
        "uri=\"/v1/generate\"", "status=\"200\"") - sum(before.get("gateway"),
        "promptune_gateway_http_requests_seconds_count", "uri=\"/v1/generate\"", "status=\"200\""), "REST generate");

    // One trace from the gateway to the runtime (export is off here, but the metrics' exemplars carry the trace id of
    // the last call they counted): the REST call's and the runtime's Generate RPC's are the same trace.
    Set<String> gatewayTraces = exemplarTraces(after.get("gateway"), "promptune_gateway_http_requests_seconds",
        "uri=\"/v1/generate\"", "status=\"200\"");
    Set<String> runtimeTraces = exemplarTraces(rt1, "promptune_runtime_rpc", "rpc=\"Generate\"");
    List<String> inRegistry = runtimeTraces.stream().filter(t -> after.get("registry").contains(t)).toList();
    System.out.printf("[MetricsIT] generate traces: gateway %s, runtime %s, in the registry's scrape: %s%n",
        gatewayTraces, runtimeTraces, inRegistry);
    assertTrue(gatewayTraces.stream().anyMatch(runtimeTraces::contains),
        "the gateway's and the runtime's exemplars for generate share no trace id: " + gatewayTraces + " vs "
            + runtimeTraces);
    assertTrue(gatewayTraces.stream().anyMatch(inRegistry::contains), "the registry's exemplars (the runtime "
        + "resolving " + PROMPT + "@dev) do not carry the generate trace " + gatewayTraces);

    Set<String> series = DashboardMetrics.series(DashboardMetrics.dashboard());
    String all = String.join("\n", after.values());
    List<String> missing = new ArrayList<>();
    for (String s : series) {
      if (!DashboardMetrics.inScrape(s, all)) {
        missing.add(s);
      }
    }
    assertTrue(missing.isEmpty(), "the dashboard queries series no service exports: " + missing);
  }
}
