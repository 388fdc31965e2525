package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.promptune.api.Tensors;
import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.e2e.OtlpTraceReceiver.ReceivedSpan;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traces and JSON logs across real processes (issue 10). A deployment of its own whose services export spans over
 * OTLP/gRPC to {@link OtlpTraceReceiver} in this JVM (the standard {@code OTEL_EXPORTER_OTLP_ENDPOINT}, which turns
 * export on; the batch processor's delay shortened) and log JSON ({@code PROMPTUNE_LOG_JSON=true}, with
 * Promptune's DEBUG lines on):
 * <ol>
 *   <li>a prompt created, published and promoted dev → staging → prod, then {@code POST /v1/generate} with
 *       {@code name@prod}: one trace holds the gateway's HTTP server span, the runtime's Generate server span (child
 *       of a gateway client span) and the registry's server span of the prompt resolution (child of a runtime client
 *       span inside Generate), every parent id resolving inside the trace;</li>
 *   <li>a job of 3 steps: 3 {@code trainer.step} spans with the job id, each linked to the job's {@code trainer.job}
 *       span, and the runtime's server spans of the step's calls (its ForwardBackward; at the evaluation step also
 *       the evaluation's) children, through the trainer's client span, of them; no ForwardBackward outside a step;</li>
 *   <li>every line of every service's console is a JSON object naming its service; lines inside a span carry its
 *       traceId and spanId (matching spans the receiver got from that service), lines about the job its jobId.</li>
 * </ol>
 * The methods run in order: the log checks read what the first two did.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TracingIT {

  static final int PORT_OFFSET = 30400;
  static final int STEPS = 3;
  static final long SPAN_WAIT_MS = 20_000;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final ObjectMapper JSON = new ObjectMapper();

  /** Process name (its log file under PROMPTUNE_HOME/logs) → service.name (quarkus.application.name). */
  static final Map<String, String> SERVICES = new LinkedHashMap<>(Map.of("gateway", "gateway", "runtime",
      "model-runtime", "registry", "prompt-registry", "trainer", "trainer-service"));

  @TempDir
  static Path home;

  static OtlpTraceReceiver receiver;
  static Deployment deployment;
  static String generateTrace;
  static String jobId;

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  @BeforeAll
  static void up() throws Exception {
    receiver = new OtlpTraceReceiver();
    deployment = new Deployment("TracingIT", home, PORT_OFFSET, Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
        "QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "100ms",
        "PROMPTUNE_LOG_JSON", "true",
        "QUARKUS_LOG_CATEGORY__IO_PROMPTUNE__LEVEL", "DEBUG"));
    deployment.up();
  }

  @AfterAll
  static void down() throws Exception {
    try {
      if (deployment != null) {
        deployment.close();
      }
    } finally {
      if (receiver != null) {
        receiver.close();
      }
    }
  }

  // ---------------------------------------------------------------- 1. generate

  @Test
  @Order(1)
  void generateWithNameAtProdIsOneTraceThroughGatewayRuntimeAndRegistry() throws Exception {
    ModelInfo model = deployment.runtime().getModelInfo(GetModelInfoRequest.getDefaultInstance());
    String prompt = "e2e-tracing-" + UUID.randomUUID().toString().substring(0, 8);
    deployment.registry().createPrompt(CreatePromptRequest.newBuilder().setName(prompt).setTask("tracing").build());
    PromptVersion v = deployment.registry().publishVersion(PublishVersionRequest.newBuilder().setPromptName(prompt)
        .setTensor(Tensors.float32(new float[2 * model.getDModel()], 2, model.getDModel()))
        .setBaseModelId(model.getModelId()).setBaseModelFingerprint(model.getFingerprint())
        .setTokenizerFingerprint(model.getTokenizerFingerprint()).build());
    for (String env : List.of("dev", "staging", "prod")) {
      deployment.registry().promote(PromoteRequest.newBuilder().setPromptName(prompt).setEnvironment(env)
          .setVersionNumber(v.getNumber()).setReason("e2e tracing").build());
    }

    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + deployment.httpPort(8080) + "/v1/generate")).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + deployment.adminKey()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "@prod\",\"inputs\":[{\"text\":"
            + "\"a fine film\"}],\"max_new_tokens\":3}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());

    List<ReceivedSpan> all = receiver.await(spans -> generateTrace(spans).isPresent(), SPAN_WAIT_MS,
        "complete trace of POST /v1/generate (gateway, runtime Generate, registry)");
    generateTrace = generateTrace(all).orElseThrow();
    List<ReceivedSpan> trace = inTrace(all, generateTrace);
    String dump = OtlpTraceReceiver.dump(trace);

    // Only one generate call was made: one gateway REST span and one runtime Generate span, both in this trace.
    assertEquals(1, all.stream().filter(TracingIT::isRestGenerate).count(), () -> OtlpTraceReceiver.dump(all));
    assertEquals(1, all.stream().filter(s -> isServer(s, "model-runtime", "promptune.v1.ModelRuntime/Generate"))
        .count(), () -> OtlpTraceReceiver.dump(all));
    assertEquals(Set.of("gateway", "model-runtime", "prompt-registry"),
        trace.stream().map(ReceivedSpan::service).collect(Collectors.toSet()), dump);

    ReceivedSpan rest = trace.stream().filter(TracingIT::isRestGenerate).findFirst().orElseThrow();
    assertEquals("", rest.parentSpanId(), "the REST call starts the trace (the test sent no traceparent): " + dump);
    ReceivedSpan generate = trace.stream()
        .filter(s -> isServer(s, "model-runtime", "promptune.v1.ModelRuntime/Generate")).findFirst().orElseThrow();
    ReceivedSpan gatewayClient = parent(trace, generate).orElseThrow(() -> new AssertionError(dump));
    assertEquals("gateway", gatewayClient.service(), dump);
    assertEquals(SpanKind.SPAN_KIND_CLIENT, gatewayClient.kind(), dump);
    assertTrue(ancestors(trace, gatewayClient).contains(rest), "the gateway's client span is under its REST span: "
        + dump);

    List<ReceivedSpan> resolutions = trace.stream().filter(s -> s.service().equals("prompt-registry")
        && s.kind() == SpanKind.SPAN_KIND_SERVER).toList();
    assertFalse(resolutions.isEmpty(), dump);
    for (ReceivedSpan reg : resolutions) {
      assertTrue(reg.name().startsWith("promptune.v1.PromptRegistry/"), dump);
      ReceivedSpan caller = parent(trace, reg).orElseThrow(() -> new AssertionError(dump));
      assertEquals("model-runtime", caller.service(), "the runtime resolves " + prompt + "@prod: " + dump);
      assertEquals(SpanKind.SPAN_KIND_CLIENT, caller.kind(), dump);
      assertEquals(caller.name(), reg.name(), "client and server name the same RPC: " + dump);
      assertTrue(ancestors(trace, caller).contains(generate), "the resolution happens inside Generate: " + dump);
    }
    System.out.printf("[TracingIT] generate trace %s:%n%s", generateTrace, dump);
  }

  static boolean isRestGenerate(ReceivedSpan s) {
    return s.service().equals("gateway") && s.kind() == SpanKind.SPAN_KIND_SERVER
        && s.name().equals("POST /v1/generate");
  }

  static boolean isServer(ReceivedSpan s, String service, String name) {
    return s.service().equals(service) && s.kind() == SpanKind.SPAN_KIND_SERVER && s.name().equals(name);
  }

  /**
   * The trace of the REST generate call, once it holds the runtime's Generate, a registry server span and every span
   * its members name as parent (the gateway's REST span, the root, ends last).
   */
  static Optional<String> generateTrace(List<ReceivedSpan> all) {
    return all.stream().filter(TracingIT::isRestGenerate).map(ReceivedSpan::traceId).filter(t -> {
      List<ReceivedSpan> trace = inTrace(all, t);
      return trace.stream().anyMatch(s -> isServer(s, "model-runtime", "promptune.v1.ModelRuntime/Generate"))
          && trace.stream().anyMatch(s -> s.service().equals("prompt-registry")
              && s.kind() == SpanKind.SPAN_KIND_SERVER)
          && complete(trace);
    }).findFirst();
  }

  // ---------------------------------------------------------------- 2. training steps

  @Test
  @Order(2)
  void eachTrainingStepIsASpanOfItsJobWithTheRuntimeCallsAsChildren() throws Exception {
    Dataset dataset = deployment.uploadJsonl("e2e-tracing", SentimentData.train(), SentimentData.validation());
    JobSpec spec = JobSpec.newBuilder().setDataset(dataset.getName())
        .setTaskFormat(TaskFormat.newBuilder().setName("identity").addAllLabels(SentimentData.LABELS))
        .setPromptLength(4).setInit(PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance()))
        .setBatchSize(4).setMaxSteps(STEPS).setEvalInterval(STEPS).setSeed(3).setOutputPrompt("e2e-tracing-job")
        .setTask("sentiment").build();
    Instant t0 = Instant.now();
    jobId = deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()).getId();
    deployment.watchToEnd(jobId, Duration.ofMinutes(2));
    Job job = deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
    assertEquals(JobState.SUCCEEDED, job.getState(), job.getReason());
    System.out.printf("[TracingIT] job of %d steps in %d ms%n", STEPS, Duration.between(t0, Instant.now()).toMillis());

    Predicate<List<ReceivedSpan>> done = spans -> jobSpan(spans).isPresent()
        && stepSpans(spans).size() == STEPS
        && stepSpans(spans).stream().allMatch(st -> complete(inTrace(spans, st.traceId()))
            && inTrace(spans, st.traceId()).stream().anyMatch(TracingIT::isForwardBackward));
    List<ReceivedSpan> all = receiver.await(done, SPAN_WAIT_MS, "trainer.job and " + STEPS
        + " trainer.step spans of job " + jobId + " with their ForwardBackward calls");

    ReceivedSpan jobSpan = jobSpan(all).orElseThrow();
    List<ReceivedSpan> steps = stepSpans(all);
    String dump = OtlpTraceReceiver.dump(steps.stream().flatMap(s -> inTrace(all, s.traceId()).stream()).toList());
    assertEquals(Set.of("1", "2", "3"), steps.stream().map(s -> s.attribute("promptune.step"))
        .collect(Collectors.toSet()), dump);
    Set<String> stepTraces = new HashSet<>();
    for (ReceivedSpan step : steps) {
      assertTrue(step.linksTo(jobSpan), "step " + step + " links to its job's span " + jobSpan);
      assertEquals("", step.parentSpanId(), "each step is the root of its own trace: " + step);
      assertTrue(stepTraces.add(step.traceId()), "one trace per step: " + dump);
      // Every runtime call of the step (its ForwardBackward; at step 3, eval_interval, also the evaluation's calls)
      // is a child of the trainer's client span for it, itself a child of the step span.
      List<ReceivedSpan> trace = inTrace(all, step.traceId());
      List<ReceivedSpan> calls = trace.stream().filter(s -> s.service().equals("model-runtime")
          && s.kind() == SpanKind.SPAN_KIND_SERVER).toList();
      for (ReceivedSpan call : calls) {
        ReceivedSpan client = parent(trace, call).orElseThrow(() -> new AssertionError(dump));
        assertEquals("trainer-service", client.service(), dump);
        assertEquals(SpanKind.SPAN_KIND_CLIENT, client.kind(), dump);
        assertEquals(call.name(), client.name(), dump);
        assertEquals(step.spanId(), client.parentSpanId(), "the trainer's call is a child of the step span: " + dump);
      }
      // max-examples-per-request=0 (the default): one ForwardBackward call per step for its whole batch; steps 1
      // and 2 make no other runtime call.
      long forwardBackward = calls.stream().filter(TracingIT::isForwardBackward).count();
      if (step.attribute("promptune.step").equals("3")) {
        assertTrue(forwardBackward >= 1, dump);
      } else {
        assertEquals(1, calls.size(), "runtime calls in step " + step.attribute("promptune.step") + ":\n" + dump);
        assertEquals(1, forwardBackward, dump);
      }
    }
    // No ForwardBackward outside a step: every one the runtime served is in one of the three step traces.
    List<ReceivedSpan> outside = all.stream().filter(TracingIT::isForwardBackward)
        .filter(s -> !stepTraces.contains(s.traceId())).toList();
    assertTrue(outside.isEmpty(), () -> "ForwardBackward outside the steps:\n" + OtlpTraceReceiver.dump(outside));
    assertFalse(stepTraces.contains(jobSpan.traceId()), "steps are traces of their own, linked to the job's");
    System.out.printf("[TracingIT] job span %s; steps:%n%s", jobSpan, dump);
  }

  static boolean isForwardBackward(ReceivedSpan s) {
    return isServer(s, "model-runtime", "promptune.v1.ModelRuntime/ForwardBackward");
  }

  static Optional<ReceivedSpan> jobSpan(List<ReceivedSpan> all) {
    return all.stream().filter(s -> s.service().equals("trainer-service") && s.name().equals("trainer.job")
        && s.attribute("promptune.job_id").equals(jobId)).findFirst();
  }

  static List<ReceivedSpan> stepSpans(List<ReceivedSpan> all) {
    return all.stream().filter(s -> s.service().equals("trainer-service") && s.name().equals("trainer.step")
        && s.attribute("promptune.job_id").equals(jobId)).toList();
  }

  // ---------------------------------------------------------------- 3. JSON logs

  @Test
  @Order(3)
  void withTheJsonSwitchEveryServiceLogsJsonLinesWithTraceAndJobIds() throws Exception {
    // A refused registry call (NOT_FOUND, logged at DEBUG inside its server span) and a refused REST key (the
    // gateway's DEBUG line about it, inside its HTTP span) give those two services log lines inside a span.
    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> deployment.registry()
        .getPrompt(GetPromptRequest.newBuilder().setName("e2e-tracing-no-such-prompt").build()));
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + deployment.httpPort(8080) + "/v1/prompts")).header("Authorization", "Bearer e2e-tracing-wrong-key")
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, refused.statusCode(), refused.body());
    receiver.await(spans -> spans.stream().anyMatch(s -> isServer(s, "prompt-registry",
        "promptune.v1.PromptRegistry/GetPrompt")) && spans.stream().anyMatch(s -> s.service().equals("gateway")
        && s.kind() == SpanKind.SPAN_KIND_SERVER && (s.attribute("http.response.status_code").equals("401")
        || s.attribute("http.status_code").equals("401"))),
        SPAN_WAIT_MS, "spans of the refused registry and gateway calls");

    Map<String, List<JsonNode>> logs = new LinkedHashMap<>();
    for (var e : SERVICES.entrySet()) {
      logs.put(e.getKey(), jsonLines(e.getKey(), e.getValue()));
    }
    List<ReceivedSpan> all = receiver.spans();
    for (var e : SERVICES.entrySet()) {
      List<JsonNode> lines = logs.get(e.getKey());
      Set<String> ownSpans = all.stream().filter(s -> s.service().equals(e.getValue()))
          .map(s -> s.traceId() + "/" + s.spanId()).collect(Collectors.toSet());
      List<JsonNode> traced = lines.stream().filter(l -> l.path("mdc").has("traceId")).toList();
      for (JsonNode l : traced) {
        assertTrue(l.path("mdc").path("traceId").asText().matches("[0-9a-f]{32}")
            && l.path("mdc").path("spanId").asText().matches("[0-9a-f]{16}"), e.getKey() + ": " + l);
      }
      System.out.printf("[TracingIT] %s: %d JSON lines, %d with a trace id, e.g. %s%n", e.getKey(), lines.size(),
          traced.size(), traced.isEmpty() ? "-" : traced.get(traced.size() - 1).path("message").asText());
      // Lines logged inside a span name it: at least one names a span this service exported.
      assertTrue(traced.stream().anyMatch(l -> ownSpans.contains(ids(l))), () -> e.getKey() + ": no log line names "
          + "a span it exported; lines with a trace id: " + traced);
    }

    // The runtime's DEBUG line for the Generate call is in the generate trace.
    assertTrue(logs.get("runtime").stream().anyMatch(l -> l.path("mdc").path("traceId").asText()
        .equals(generateTrace)), "no runtime log line in the generate trace " + generateTrace);

    // Every trainer line about the job carries its id, and those logged in a step the step's trace and span.
    List<ReceivedSpan> jobSpans = new ArrayList<>(stepSpans(all));
    jobSpans.add(jobSpan(all).orElseThrow());
    List<JsonNode> aboutJob = logs.get("trainer").stream().filter(l -> l.path("message").asText().contains(jobId))
        .toList();
    assertFalse(aboutJob.isEmpty(), "no trainer log line names job " + jobId);
    for (JsonNode l : aboutJob) {
      assertEquals(jobId, l.path("mdc").path("jobId").asText(), "a line about the job carries its id: " + l);
    }
    Set<String> stepIds = stepSpans(all).stream().map(s -> s.traceId() + "/" + s.spanId())
        .collect(Collectors.toSet());
    Set<String> loggedInSteps = logs.get("trainer").stream().map(TracingIT::ids).filter(stepIds::contains)
        .collect(Collectors.toSet());
    assertEquals(stepIds, loggedInSteps, "each step span has its log lines (the step's DEBUG line at least)");
    for (JsonNode l : logs.get("trainer")) {
      if (l.path("mdc").path("jobId").asText().equals(jobId)) {
        assertTrue(jobSpans.stream().anyMatch(s -> s.traceId().equals(l.path("mdc").path("traceId").asText())),
            "a line with the job id is in the job's or a step's trace: " + l);
      }
    }
  }

  static String ids(JsonNode line) {
    return line.path("mdc").path("traceId").asText() + "/" + line.path("mdc").path("spanId").asText();
  }

  /** Every line of a process's console (its log file), each parsed as one JSON object naming the service. */
  static List<JsonNode> jsonLines(String process, String service) throws Exception {
    Path log = deployment.home().resolve("logs").resolve(process + ".log");
    List<String> raw = Files.readAllLines(log, StandardCharsets.UTF_8);
    List<JsonNode> out = new ArrayList<>();
    List<String> notJson = new ArrayList<>();
    for (String line : raw) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = null;
      try {
        n = JSON.readTree(line);
      } catch (Exception e) {
        // reported below
      }
      if (n == null || !n.isObject() || !n.has("message") || !n.has("level")) {
        notJson.add(line);
      } else {
        assertEquals(service, n.path("service").asText(), process + ": " + line);
        out.add(n);
      }
    }
    assertTrue(notJson.isEmpty(), () -> process + ": " + notJson.size() + " of " + raw.size()
        + " console lines are not JSON log records, e.g.:\n" + String.join("\n", notJson.subList(0,
            Math.min(10, notJson.size()))));
    assertTrue(out.size() > 5, process + " logged only " + out.size() + " lines");
    return out;
  }

  // ---------------------------------------------------------------- trace structure

  static List<ReceivedSpan> inTrace(List<ReceivedSpan> all, String traceId) {
    return all.stream().filter(s -> s.traceId().equals(traceId)).toList();
  }

  /** Every parent id in the trace is a span of the trace: nothing is missing, nothing points outside. */
  static boolean complete(List<ReceivedSpan> trace) {
    Set<String> ids = trace.stream().map(ReceivedSpan::spanId).collect(Collectors.toSet());
    return trace.stream().allMatch(s -> s.parentSpanId().isEmpty() || ids.contains(s.parentSpanId()));
  }

  static Optional<ReceivedSpan> parent(List<ReceivedSpan> trace, ReceivedSpan child) {
    return trace.stream().filter(s -> s.spanId().equals(child.parentSpanId())).findFirst();
  }

  static List<ReceivedSpan> ancestors(List<ReceivedSpan> trace, ReceivedSpan span) {
    List<ReceivedSpan> out = new ArrayList<>();
    for (Optional<ReceivedSpan> p = parent(trace, span); p.isPresent() && out.size() < 100;
        p = parent(trace, p.get())) {
      out.add(p.get());
    }
    return out;
  }
}
