package io.promptune.gateway.observability;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.promptune.gateway.testing.FakeBackends;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Gateway metrics move by exactly what a request did; one request is one trace that reaches the backends. */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class ObservabilityTest {

  @Inject
  MeterRegistry registry;

  @Inject
  @Any
  Instance<SpanExporter> exporters;

  double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  long requests(String uri, String status) {
    Timer t = registry.find(GatewayMetrics.HTTP).tags("uri", uri, "status", status).timer();
    return t == null ? 0 : t.count();
  }

  @Test
  void authFailuresAndRouteTemplatesAreCounted() {
    double missing0 = count("promptune.gateway.auth.failures", "reason", "missing_key");
    double unknown0 = count("promptune.gateway.auth.failures", "reason", "unknown_key");
    double forbidden0 = count("promptune.gateway.auth.failures", "reason", "forbidden");
    long ok0 = requests("/v1/prompts/{name}/versions", "200");

    given().get("/v1/prompts").then().statusCode(401);
    given().header("Authorization", "Bearer nope").get("/v1/prompts").then().statusCode(401);
    given().header("Authorization", "Bearer test-viewer-key").contentType("application/json")
        .body("{\"version\":2,\"reason\":\"x\"}").post("/v1/prompts/sentiment/environments/staging/promote")
        .then().statusCode(403);
    given().header("Authorization", "Bearer test-viewer-key").get("/v1/prompts/sentiment/versions").then()
        .statusCode(200);

    assertEquals(1, count("promptune.gateway.auth.failures", "reason", "missing_key") - missing0);
    assertEquals(1, count("promptune.gateway.auth.failures", "reason", "unknown_key") - unknown0);
    assertEquals(1, count("promptune.gateway.auth.failures", "reason", "forbidden") - forbidden0);
    // The server timer is recorded when the response has been written, which can be just after the client has
    // read it: wait (bounded) for the count to arrive, then require exactly one.
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (requests("/v1/prompts/{name}/versions", "200") - ok0 < 1 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      Thread.yield();
    }
    assertEquals(1, requests("/v1/prompts/{name}/versions", "200") - ok0, "by route template, not by path");

    String scrape = given().header("Authorization", "Bearer test-viewer-key").get("/q/metrics").then()
        .statusCode(200).extract().asString();
    for (String name : List.of("promptune_gateway_http_requests_seconds_bucket{",
        "promptune_gateway_auth_failures_total{reason=\"unknown_key\"}", "promptune_gateway_sse_streams ")) {
      assertTrue(scrape.contains(name), name + " missing from /q/metrics");
    }
  }

  @Test
  void metricsAskForAKeyHealthDoesNot() {
    given().get("/q/metrics").then().statusCode(401).contentType("application/json")
        .body("error.code", org.hamcrest.Matchers.equalTo("UNAUTHENTICATED"))
        .body("error.details.reason", org.hamcrest.Matchers.equalTo("MISSING_CREDENTIAL"));
    given().header("Authorization", "Bearer nope").get("/q/metrics").then().statusCode(401)
        .body("error.details.reason", org.hamcrest.Matchers.equalTo("UNKNOWN_KEY"));
    given().header("Authorization", "Basic abc").get("/q/metrics/").then().statusCode(401);
    given().get("/q/metrics/../metrics").then().statusCode(401);
    // Not decoded by the router, so nothing is served there either: never the scrape without a key.
    given().get("/q/%6Detrics").then().statusCode(org.hamcrest.Matchers.not(200));
    given().header("Authorization", "Bearer test-viewer-key").get("/q/metrics").then().statusCode(200)
        .body(org.hamcrest.Matchers.containsString("promptune_gateway_"));
    given().get("/q/health/live").then().statusCode(200);
    given().get("/q/health").then().statusCode(org.hamcrest.Matchers.anyOf(org.hamcrest.Matchers.is(200),
        org.hamcrest.Matchers.is(503)));
  }

  @Test
  void generateIsOneTraceCarriedToTheRuntime() throws Exception {
    InMemoryTracing.SPANS.reset();
    FakeBackends.LAST_TRACEPARENT.set(null);
    given().header("Authorization", "Bearer test-viewer-key").contentType("application/json")
        .body("{\"prompt\":\"sentiment@prod\",\"inputs\":[\"good\"],\"max_new_tokens\":3}")
        .post("/v1/generate").then().statusCode(200);

    List<SpanData> spans = awaitSpans();
    SpanData server = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER
        && s.getName().contains("/v1/generate")).findFirst().orElseThrow(() -> new AssertionError(names(spans)));
    SpanData client = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT
        && s.getName().contains("ModelRuntime/Generate")).findFirst().orElseThrow(() -> new AssertionError(
            names(spans)));
    assertEquals(server.getTraceId(), client.getTraceId(), "one trace: " + names(spans));
    String traceparent = FakeBackends.LAST_TRACEPARENT.get();
    assertNotNull(traceparent, "W3C trace context sent over gRPC");
    assertEquals(server.getTraceId(), traceparent.split("-")[1]);
  }

  @Test
  void nothingIsExportedUnlessACollectorIsNamed() {
    // The no-op exporter is offered (so Quarkus' OTLP processor stands down) while promptune.tracing.export=off.
    assertFalse(exporters.isUnsatisfied());
  }

  private static List<SpanData> awaitSpans() throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      List<SpanData> s = InMemoryTracing.SPANS.getFinishedSpanItems();
      if (s.stream().anyMatch(x -> x.getKind() == SpanKind.SERVER)) {
        return s;
      }
      Thread.sleep(50);
    }
    return InMemoryTracing.SPANS.getFinishedSpanItems();
  }

  private static String names(List<SpanData> spans) {
    return spans.stream().map(s -> s.getKind() + " " + s.getName() + " " + s.getTraceId())
        .collect(Collectors.joining(", "));
  }
}
