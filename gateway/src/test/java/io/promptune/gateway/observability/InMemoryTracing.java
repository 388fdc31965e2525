package io.promptune.gateway.observability;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Tests: every span the gateway ends is kept in memory. */
@ApplicationScoped
public class InMemoryTracing {

  public static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

  @Produces
  @Singleton
  SpanProcessor inMemory() {
    return SimpleSpanProcessor.create(SPANS);
  }
}
