package io.promptune.e2e;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A stand-in for an OpenTelemetry collector inside the test JVM: an OTLP/gRPC TraceService (the standard
 * {@code opentelemetry.proto.collector.trace.v1.TraceService/Export}, port 4317's protocol) that keeps every span it
 * is sent in memory, with its service's {@code service.name}.
 */
final class OtlpTraceReceiver implements AutoCloseable {

  /** One received span, ids as lower-case hex ("" when absent). */
  record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, String name,
      Span.SpanKind kind, Map<String, String> attributes, List<String> links) {

    String attribute(String key) {
      return attributes.getOrDefault(key, "");
    }

    /** {@code traceId/spanId} of each link. */
    boolean linksTo(ReceivedSpan other) {
      return links.contains(other.traceId + "/" + other.spanId);
    }

    @Override
    public String toString() {
      return service + " " + kind.name().replace("SPAN_KIND_", "") + " '" + name + "' " + traceId + "/" + spanId
          + (parentSpanId.isEmpty() ? "" : " parent " + parentSpanId) + (attributes.isEmpty() ? "" : " " + attributes)
          + (links.isEmpty() ? "" : " links " + links);
    }
  }

  private final List<ReceivedSpan> spans = new ArrayList<>();
  private final Server server;

  OtlpTraceReceiver() throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .maxInboundMessageSize(16 << 20)
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> out) {
            keep(request);
            out.onNext(ExportTraceServiceResponse.getDefaultInstance());
            out.onCompleted();
          }
        })
        .build()
        .start();
  }

  /** Where the services' OTLP exporters send: {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  String endpoint() {
    return "http://127.0.0.1:" + server.getPort();
  }

  private synchronized void keep(ExportTraceServiceRequest request) {
    for (ResourceSpans rs : request.getResourceSpansList()) {
      String service = text(rs.getResource().getAttributesList()).getOrDefault("service.name", "");
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          List<String> links = s.getLinksList().stream()
              .map(l -> hex(l.getTraceId().toByteArray()) + "/" + hex(l.getSpanId().toByteArray())).toList();
          spans.add(new ReceivedSpan(service, hex(s.getTraceId().toByteArray()), hex(s.getSpanId().toByteArray()),
              hex(s.getParentSpanId().toByteArray()), s.getName(), s.getKind(), text(s.getAttributesList()), links));
        }
      }
    }
    notifyAll();
  }

  /** Every span received so far. */
  synchronized List<ReceivedSpan> spans() {
    return List.copyOf(spans);
  }

  /**
   * Waits until the spans received satisfy {@code done} (exporters send in batches, a moment after a span ends);
   * returns them then, or fails after {@code timeoutMillis} listing what came.
   */
  synchronized List<ReceivedSpan> await(Predicate<List<ReceivedSpan>> done, long timeoutMillis, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!done.test(List.copyOf(spans))) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new AssertionError("no " + what + " among the " + spans.size() + " spans received:\n" + dump(spans));
      }
      wait(left);
    }
    return List.copyOf(spans);
  }

  static String dump(List<ReceivedSpan> spans) {
    StringBuilder sb = new StringBuilder();
    spans.forEach(s -> sb.append("  ").append(s).append('\n'));
    return sb.toString();
  }

  private static Map<String, String> text(List<KeyValue> attributes) {
    Map<String, String> m = new LinkedHashMap<>();
    for (KeyValue kv : attributes) {
      AnyValue v = kv.getValue();
      m.put(kv.getKey(), switch (v.getValueCase()) {
        case STRING_VALUE -> v.getStringValue();
        case INT_VALUE -> Long.toString(v.getIntValue());
        case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
        case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
        default -> v.toString().strip();
      });
    }
    return m;
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
