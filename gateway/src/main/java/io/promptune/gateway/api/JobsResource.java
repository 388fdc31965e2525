package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.CancelJobRequest;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.ListJobsRequest;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.auth.Caller;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.JobSpecJson;
import io.promptune.gateway.json.Page;
import io.promptune.gateway.json.PageParams;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.TrainerJson.CancelJob;
import io.promptune.gateway.json.TrainerJson.JobEventJson;
import io.promptune.gateway.json.TrainerJson.JobJson;
import io.promptune.gateway.sse.JobEventStream;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Training and evaluation jobs: submit (training; evaluations: {@link EvaluationJobsResource}), list, get, cancel, and their progress (stored events, or live as server-sent events). */
@RequiresRole(Role.VIEWER)
@Path("/v1/jobs")
@Blocking
@Tag(name = "jobs")
public class JobsResource {

  @Inject
  Backends backends;

  @Inject
  Caller caller;

  @Inject
  JobEventStream stream;

  @Inject
  GatewayConfig config;

  @POST
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @Operation(operationId = "submitJob",
      summary = "Submit a training job", description = "Needs the trainer role. dataset and max_steps are "
      + "required; everything else defaults to the paper's settings.")
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "201", description = "Created",
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobJson.class)))
  public JobJson submit(JobSpecJson spec) {
    if (spec == null) {
      throw ApiError.badRequest("The body must be a job spec, e.g. {\"dataset\": \"my-data\", \"max_steps\": 300}.");
    }
    var proto = spec.toProto();
    return JobJson.of(backends.trainer(s -> s.submitJob(SubmitJobRequest.newBuilder().setSpec(proto).build())));
  }

  @GET
  @Operation(operationId = "listJobs",
      summary = "List jobs, newest first", description = "state: repeat to match several (queued, running, "
      + "succeeded, failed, cancelled). kind: training or evaluation (repeat or comma-separate for several).")
  public Page<JobJson> list(@BeanParam PageParams page, @QueryParam("state") List<String> states,
      @QueryParam("kind") List<String> kinds) {
    ListJobsRequest.Builder b = ListJobsRequest.newBuilder().setPage(page.toProto(config.limits().maxPageSize()));
    for (String k : kinds == null ? List.<String>of() : kinds) {
      for (String one : k.split(",")) {
        if (!one.isBlank()) {
          b.addKinds(kind(one));
        }
      }
    }
    for (String s : states == null ? List.<String>of() : states) {
      for (String one : s.split(",")) {
        if (!one.isBlank()) {
          b.addStates(Protos.parse(JobState.class, one, "state", null));
        }
      }
    }
    var r = backends.trainer(s -> s.listJobs(b.build()));
    return Page.of(r.getJobsList().stream().map(JobJson::of).toList(), r.getNextPageToken());
  }

  /** "training" or "evaluation" (case-insensitive); anything else is a 400 naming the field. */
  static JobKind kind(String value) {
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "training" -> JobKind.JOB_KIND_TRAINING;
      case "evaluation" -> JobKind.JOB_KIND_EVALUATION;
      default -> throw ApiError.invalidField("kind", "Field 'kind' has the unknown value '" + value + "'; use one "
          + "of training, evaluation.");
    };
  }

  @GET
  @Path("{id}")
  @Operation(operationId = "getJob", summary = "Get a job")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public JobJson get(@PathParam("id") String id) {
    return JobJson.of(backends.trainer(s -> s.getJob(GetJobRequest.newBuilder().setJobId(id).build())));
  }

  @POST
  @Path("{id}/cancel")
  @RequiresRole(Role.TRAINER)
  @Operation(operationId = "cancelJob",
      summary = "Cancel a queued or running job", description = "Needs the trainer role.")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  public JobJson cancel(@PathParam("id") String id, CancelJob body) {
    String reason = body == null ? "" : Protos.orEmpty(body.reason());
    return JobJson.of(backends.trainer(s -> s.cancelJob(CancelJobRequest.newBuilder().setJobId(id)
        .setReason(reason.isEmpty() ? "cancelled by " + caller.identity().actor() : reason).build())));
  }

  @GET
  @Path("{id}/events")
  @Operation(operationId = "listJobEvents", summary = "A job's stored progress events, oldest first (for plots)")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Page<JobEventJson> events(@PathParam("id") String id, @BeanParam PageParams page) {
    var r = backends.trainer(s -> s.listJobEvents(ListJobEventsRequest.newBuilder().setJobId(id)
        .setPage(page.toProto(config.limits().maxPageSize())).build()));
    return Page.of(r.getEventsList().stream().map(JobEventJson::of).toList(), r.getNextPageToken());
  }

  @GET
  @Path("{id}/stream")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @Operation(operationId = "streamJobEvents",
      summary = "Follow a job's progress as server-sent events", description = "Replays stored events from "
      + "'from' (or after Last-Event-ID), then follows live until the job ends. Event names: step, eval, state, "
      + "checkpoint, published, evaluation_progress; then 'end' (or 'error' with an error body). Ids are the "
      + "event sequence numbers.")
  @APIResponse(responseCode = "200", description = "A text/event-stream; each event's data is a JobEventJson.",
      content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(type = SchemaType.STRING)))
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Multi<OutboundSseEvent> stream(@PathParam("id") String id, @QueryParam("from") Long from,
      @HeaderParam("Last-Event-ID") String lastEventId, @Context Sse sse) {
    long start = from == null ? 0 : from;
    if (lastEventId != null && !lastEventId.isBlank()) {
      try {
        start = Math.max(start, Long.parseLong(lastEventId.trim()) + 1);
      } catch (NumberFormatException e) {
        throw ApiError.badRequest("Last-Event-ID must be an event sequence number.");
      }
    }
    // Fail with a proper status (404, 401, 503) before the stream starts.
    backends.trainer(s -> s.getJob(GetJobRequest.newBuilder().setJobId(id).build()));
    return stream.watch(caller.identity(), id, start, sse);
  }
}
