package io.promptune.gateway.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's metrics: {@code promptune_gateway_http_requests_seconds{method,uri,status,outcome}} (Quarkus' HTTP
 * server timer, renamed, uri = the route template such as /v1/jobs/{id}), {@code
 * promptune_gateway_auth_failures_total{reason}} (missing_key, unknown_key, forbidden) and {@code
 * promptune_gateway_sse_streams} (job event streams open now).
 */
@ApplicationScoped
public class GatewayMetrics {

  public static final String HTTP = "promptune.gateway.http.requests";

  @Inject
  MeterRegistry registry;

  private final AtomicInteger sseStreams = new AtomicInteger();

  @PostConstruct
  void init() {
    Gauge.builder("promptune.gateway.sse.streams", sseStreams, AtomicInteger::get)
        .description("Server-sent event streams open now").register(registry);
    for (String r : new String[] {"missing_key", "unknown_key", "forbidden"}) {
      authFailures(r);
    }
  }

  private Counter authFailures(String reason) {
    return Counter.builder("promptune.gateway.auth.failures").description("Refused REST calls by reason")
        .tag("reason", reason).register(registry);
  }

  /** A REST call refused: "missing_key", "unknown_key" (401) or "forbidden" (403, role too low). */
  public void authFailure(String reason) {
    authFailures(reason).increment();
  }

  /** Counts the stream as open from subscription until it ends, fails or the client goes away. */
  public <T> Multi<T> trackSse(Multi<T> stream) {
    return stream.onSubscription().invoke(s -> sseStreams.incrementAndGet())
        .onTermination().invoke(() -> sseStreams.decrementAndGet());
  }

  public int openSseStreams() {
    return sseStreams.get();
  }

  /** Quarkus' http.server.requests becomes promptune.gateway.http.requests, with histogram buckets. */
  @Produces
  @Singleton
  MeterFilter promptuneHttpNames() {
    return new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().equals("http.server.requests") ? id.withName(HTTP) : id;
      }

      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        return id.getName().equals(HTTP)
            ? DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config) : config;
      }
    };
  }
}
