package io.promptune.trainer.observability;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ArcContainer;
import java.util.UUID;
import org.jboss.logging.MDC;

/**
 * Spans and log context of a job run: one span for the run (attribute promptune.job_id), one span per training step
 * (a new trace, linked to the run's span, so a long job is not one giant trace); the runtime calls of a step are its
 * children. While a span is current the thread's MDC carries traceId, spanId and jobId, so JSON log lines do too.
 */
public final class JobTracing {

  public static final String MDC_JOB_ID = "jobId";

  /** A scope that ends its span and restores the MDC; close() throws nothing. */
  public interface Handle extends AutoCloseable {
    SpanContext spanContext();

    void fail(Throwable t);

    @Override
    void close();
  }

  private JobTracing() {}

  private static Tracer tracer() {
    ArcContainer c = Arc.container();
    OpenTelemetry otel = null;
    if (c != null && c.isRunning()) {
      var h = c.instance(OpenTelemetry.class);
      otel = h.isAvailable() ? h.get() : null;
    }
    return (otel == null ? OpenTelemetry.noop() : otel).getTracer("io.promptune.trainer");
  }

  /** The span of one run of a job by this worker. */
  public static Handle job(UUID jobId, int attempt) {
    Span span = tracer().spanBuilder("trainer.job").setNoParent().setAttribute("promptune.job_id", jobId.toString())
        .setAttribute("promptune.attempt", attempt).startSpan();
    return open(span, jobId);
  }

  /** The span of one training step, linked to its job's span. */
  public static Handle step(UUID jobId, SpanContext job, int step) {
    var b = tracer().spanBuilder("trainer.step").setNoParent().setAttribute("promptune.job_id", jobId.toString())
        .setAttribute("promptune.step", step);
    if (job != null && job.isValid()) {
      b.addLink(job);
    }
    return open(b.startSpan(), jobId);
  }

  /** Runs {@code r} (a log line about the job, off its own thread) with the job id in the MDC. */
  public static void withJobId(UUID jobId, Runnable r) {
    Object prev = MDC.get(MDC_JOB_ID);
    MDC.put(MDC_JOB_ID, jobId.toString());
    try {
      r.run();
    } finally {
      restore(MDC_JOB_ID, prev);
    }
  }

  private static Handle open(Span span, UUID jobId) {
    Scope scope = Context.current().with(span).makeCurrent();
    Object prevJob = MDC.get(MDC_JOB_ID);
    Object prevTrace = MDC.get("traceId");
    Object prevSpan = MDC.get("spanId");
    MDC.put(MDC_JOB_ID, jobId.toString());
    if (span.getSpanContext().isValid()) {
      MDC.put("traceId", span.getSpanContext().getTraceId());
      MDC.put("spanId", span.getSpanContext().getSpanId());
    }
    return new Handle() {
      @Override
      public SpanContext spanContext() {
        return span.getSpanContext();
      }

      @Override
      public void fail(Throwable t) {
        span.recordException(t);
        span.setStatus(StatusCode.ERROR, String.valueOf(t.getMessage()));
      }

      @Override
      public void close() {
        try {
          scope.close();
          span.end();
        } finally {
          restore(MDC_JOB_ID, prevJob);
          restore("traceId", prevTrace);
          restore("spanId", prevSpan);
        }
      }
    };
  }

  private static void restore(String key, Object value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }
}
