package io.promptune.runtime.observability;

import static io.promptune.runtime.grpc.RuntimeTestSupport.ids;
import static io.promptune.runtime.grpc.RuntimeTestSupport.prompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.randomPrompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.stub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TrainingExample;
import io.promptune.runtime.bench.FlopCount;
import io.promptune.runtime.engine.ModelSpec;
import io.promptune.runtime.grpc.RuntimeTestSupport;
import io.promptune.runtime.service.ModelHost;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The runtime's promptune_* metrics move by exactly what a call did. */
@QuarkusTest
class RuntimeMetricsTest {

  static final int D = 64;

  @Inject
  ModelHost host;

  @Inject
  MeterRegistry registry;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  double counter(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  double[] summary(String name, String... tags) {
    DistributionSummary s = registry.find(name).tags(tags).summary();
    return s == null ? new double[2] : new double[] {s.count(), s.totalAmount()};
  }

  @Test
  void forwardBackwardCountsTokensFlopsBatchesAndOutcome() {
    ModelSpec spec = host.service().engine().spec();
    double ok0 = counter("promptune.runtime.rpc.calls", "rpc", "ForwardBackward", "code", "OK");
    double bad0 = counter("promptune.runtime.rpc.calls", "rpc", "ForwardBackward", "code", "INVALID_ARGUMENT");
    double prompt0 = counter("promptune.runtime.tokens", "op", "forward_backward", "kind", "prompt");
    double input0 = counter("promptune.runtime.tokens", "op", "forward_backward", "kind", "input");
    double target0 = counter("promptune.runtime.tokens", "op", "forward_backward", "kind", "target");
    double flops0 = counter("promptune.runtime.flops", "op", "forward_backward");
    double[] examples0 = summary("promptune.runtime.batch.examples", "op", "forward_backward");
    double[] callers0 = summary("promptune.runtime.batch.callers", "op", "forward_backward");
    long waits0 = registry.find("promptune.runtime.batch.queue.wait").tags("op", "forward_backward").timers()
        .stream().mapToLong(t -> t.count()).sum();

    // 3 examples, prompt of 4 rows on two of them; input 5+3+2 ids, targets 2+3+1 ids
    stub().forwardBackward(ForwardBackwardRequest.newBuilder().addPrompts(prompt(randomPrompt(7, 4 * D), 4, D))
        .addExamples(TrainingExample.newBuilder().setInput(ids(5, 6, 7, 8, 1)).setTarget(ids(9, 1)))
        .addExamples(TrainingExample.newBuilder().setInput(ids(10, 11, 1)).setTarget(ids(12, 13, 1)))
        .addExamples(TrainingExample.newBuilder().setInput(ids(14, 1)).setTarget(ids(1)).setPromptIndex(-1))
        .build());
    assertThrows(StatusRuntimeException.class, () -> stub().forwardBackward(ForwardBackwardRequest.newBuilder()
        .addExamples(TrainingExample.newBuilder().setInput(io.promptune.api.v1.Text.getDefaultInstance())
            .setTarget(ids(1))).build()));

    assertEquals(1, counter("promptune.runtime.rpc.calls", "rpc", "ForwardBackward", "code", "OK") - ok0);
    assertEquals(1, counter("promptune.runtime.rpc.calls", "rpc", "ForwardBackward", "code", "INVALID_ARGUMENT")
        - bad0);
    assertEquals(8, counter("promptune.runtime.tokens", "op", "forward_backward", "kind", "prompt") - prompt0);
    assertEquals(10, counter("promptune.runtime.tokens", "op", "forward_backward", "kind", "input") - input0);
    assertEquals(6, counter("promptune.runtime.tokens", "op", "forward_backward", "kind", "target") - target0);
    // padded shapes: 3 rows, encoder 4 + 5, decoder 3
    assertEquals(FlopCount.of(spec, 3, 9, 3).total(), counter("promptune.runtime.flops", "op", "forward_backward")
        - flops0, 1.0);
    double[] examples = summary("promptune.runtime.batch.examples", "op", "forward_backward");
    assertEquals(1, examples[0] - examples0[0]);
    assertEquals(3, examples[1] - examples0[1]);
    double[] callers = summary("promptune.runtime.batch.callers", "op", "forward_backward");
    assertEquals(1, callers[0] - callers0[0]);
    assertEquals(1, callers[1] - callers0[1]);
    assertEquals(1, registry.find("promptune.runtime.batch.queue.wait").tags("op", "forward_backward").timers()
        .stream().mapToLong(t -> t.count()).sum() - waits0);
    assertTrue(registry.find("promptune.runtime.rpc").tags("rpc", "ForwardBackward").timer().count() >= 2);
  }

  @Test
  void distinctPromptsPerRequestAreRecordedOncePerSuccessfulRequest() {
    double[] before = summary("promptune.runtime.request.prompts", "rpc", "ForwardBackward", "gradients", "true");
    // three members' batches in one request, as an ensemble training step sends them
    ForwardBackwardRequest.Builder r = ForwardBackwardRequest.newBuilder();
    for (int m = 0; m < 3; m++) {
      r.addPrompts(prompt(randomPrompt(11 + m, (2 + m) * D), 2 + m, D));
      r.addExamples(TrainingExample.newBuilder().setInput(ids(5, 6, 1)).setTarget(ids(9, 1)).setPromptIndex(m));
    }
    stub().forwardBackward(r.build());
    // a refused request (prompt index out of range) is not counted
    assertThrows(StatusRuntimeException.class, () -> stub().forwardBackward(ForwardBackwardRequest.newBuilder()
        .addPrompts(prompt(randomPrompt(3, 2 * D), 2, D))
        .addExamples(TrainingExample.newBuilder().setInput(ids(5, 1)).setTarget(ids(1)).setPromptIndex(4))
        .build()));
    double[] after = summary("promptune.runtime.request.prompts", "rpc", "ForwardBackward", "gradients", "true");
    assertEquals(1, after[0] - before[0]);
    assertEquals(3, after[1] - before[1]);
  }

  @Test
  void concurrentCallersAreCountedOncePerCallerWhateverTheMerging() throws Exception {
    double[] callers0 = summary("promptune.runtime.batch.callers", "op", "forward_backward");
    double[] examples0 = summary("promptune.runtime.batch.examples", "op", "forward_backward");
    int n = 6;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int seed = i;
        fs.add(pool.submit(() -> stub().forwardBackward(ForwardBackwardRequest.newBuilder()
            .addPrompts(prompt(randomPrompt(seed, 2 * D), 2, D))
            .addExamples(TrainingExample.newBuilder().setInput(ids(5, 6, 1)).setTarget(ids(7, 1)))
            .addExamples(TrainingExample.newBuilder().setInput(ids(8, 1)).setTarget(ids(9, 1))).build())));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    double[] callers = summary("promptune.runtime.batch.callers", "op", "forward_backward");
    double[] examples = summary("promptune.runtime.batch.examples", "op", "forward_backward");
    assertEquals(n, callers[1] - callers0[1], "every caller is in exactly one executed batch");
    assertEquals(2 * n, examples[1] - examples0[1]);
    assertEquals(callers[0] - callers0[0], examples[0] - examples0[0], "one observation per engine call");
    assertTrue(callers[0] - callers0[0] <= n);
  }

  @Test
  void inflightPerPrincipalClassReturnsToZeroAndWeightsArePublished() {
    Metadata viewer = new CallerIdentity("alice", CallerIdentity.Role.VIEWER).toMetadata();
    stub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(viewer))
        .tokenize(TokenizeRequest.newBuilder().addTexts("hello").build());
    stub().getModelInfo(GetModelInfoRequest.getDefaultInstance());
    Gauge v = registry.find("promptune.runtime.inflight.requests").tag("principal_class", "viewer").gauge();
    Gauge s = registry.find("promptune.runtime.inflight.requests").tag("principal_class", "service").gauge();
    assertEquals(0, v.value());
    assertEquals(0, s.value());
    assertTrue(counter("promptune.runtime.rpc.calls", "rpc", "Tokenize", "code", "OK") >= 1);
    Gauge w = registry.find("promptune.runtime.model.weights.bytes").tag("dtype", "float32").gauge();
    assertEquals(RuntimeMetrics.weightsBytes(host.service().engine().spec(), "float32"), (long) w.value());
  }

  @Test
  void prometheusEndpointServesThePromptuneNames() throws Exception {
    stub().getModelInfo(GetModelInfoRequest.getDefaultInstance());
    int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/q/metrics"))
        .header("Authorization", "Bearer test-viewer-key").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    String body = r.body();
    for (String name : List.of("promptune_runtime_rpc_seconds_bucket{", "promptune_runtime_rpc_calls_total{",
        "promptune_runtime_model_weights_bytes{", "promptune_runtime_inflight_requests{principal_class=\"service\"}",
        "promptune_runtime_peak_flops ", "promptune_runtime_draining ")) {
      assertTrue(body.contains(name), name + " missing from /q/metrics");
    }
  }
}
