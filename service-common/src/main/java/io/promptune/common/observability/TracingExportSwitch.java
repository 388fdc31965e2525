package io.promptune.common.observability;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Collection;

/**
 * Keeps spans in the process unless a collector is named ({@code promptune.tracing.export}, which follows
 * OTEL_EXPORTER_OTLP_ENDPOINT): Quarkus' OTLP span processor stands down when the application provides a
 * {@link SpanExporter} bean, so this one, a no-op, is offered only while export is "off". Trace and span ids are
 * still made, propagated across HTTP and gRPC, and written to the logs.
 */
@ApplicationScoped
public class TracingExportSwitch {

  @Produces
  @Singleton
  @LookupIfProperty(name = "promptune.tracing.export", stringValue = "off", lookupIfMissing = true)
  SpanExporter noExport() {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
  }
}
