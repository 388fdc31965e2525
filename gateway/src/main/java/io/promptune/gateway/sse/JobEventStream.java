package io.promptune.gateway.sse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.WatchJobRequest;
import io.promptune.gateway.backend.Backend;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.TrainerJson.JobEventJson;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A job's progress as server-sent events, fed by the trainer's WatchJob stream: one event per JobEvent (event name
 * = its type, id = its sequence, data = {@link JobEventJson}), a comment every 15 s to keep the connection alive,
 * {@code event: end} when the job has ended and {@code event: error} (an error body) if the stream fails. When the
 * HTTP client goes away the gRPC stream is cancelled.
 */
@ApplicationScoped
public class JobEventStream {

  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sse-keepalive");
    t.setDaemon(true);
    return t;
  });

  @Inject
  Backends backends;

  @Inject
  ObjectMapper json;

  @Inject
  io.promptune.gateway.GatewayConfig config;

  @Inject
  io.promptune.gateway.observability.GatewayMetrics metrics;

  public Multi<OutboundSseEvent> watch(CallerIdentity who, String jobId, long fromSequence, Sse sse) {
    WatchJobRequest request = WatchJobRequest.newBuilder().setJobId(jobId).setFromSequence(fromSequence).build();
    return metrics.trackSse(Multi.createFrom().emitter(em -> {
      long every = config.sseKeepAlive().toMillis();
      var keepAlive = TIMER.scheduleAtFixedRate(() -> em.emit(sse.newEventBuilder().comment("keep-alive").build()),
          every, every, TimeUnit.MILLISECONDS);
      backends.trainerAsync(who, null).watchJob(request, new ClientResponseObserver<WatchJobRequest, JobEvent>() {
        @Override
        public void beforeStart(ClientCallStreamObserver<WatchJobRequest> call) {
          em.onTermination(() -> {
            keepAlive.cancel(false);
            call.cancel("the HTTP client closed the event stream", null);
          });
        }

        @Override
        public void onNext(JobEvent e) {
          JobEventJson j = JobEventJson.of(e);
          em.emit(sse.newEventBuilder().id(Long.toString(e.getSequence())).name(j.type())
              .mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, write(j)).build());
        }

        @Override
        public void onError(Throwable t) {
          keepAlive.cancel(false);
          ApiError err = t instanceof StatusRuntimeException s ? backends.error(Backend.TRAINER, s)
              : new ApiError(500, "INTERNAL", "The event stream failed: " + t.getMessage());
          emitTerminal(em, sse, "error", write(err.body()));
        }

        @Override
        public void onCompleted() {
          keepAlive.cancel(false);
          emitTerminal(em, sse, "end", write(Map.of("job_id", jobId)));
        }
      });
    }));
  }

  private static void emitTerminal(MultiEmitter<? super OutboundSseEvent> em, Sse sse, String name, String data) {
    if (!em.isCancelled()) {
      em.emit(sse.newEventBuilder().name(name).mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, data)
          .build());
      em.complete();
    }
  }

  private String write(Object o) {
    try {
      return json.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
