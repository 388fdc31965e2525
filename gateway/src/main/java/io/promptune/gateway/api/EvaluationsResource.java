package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ListEvaluationsRequest;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.Page;
import io.promptune.gateway.json.PageParams;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.QualityJson.EvaluationJson;
import io.promptune.gateway.json.QualityJson.RecordEvaluation;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Evaluation results kept against versions (append-only). */
@RequiresRole(Role.VIEWER)
@Path("/v1/evaluations")
@Blocking
@Tag(name = "prompts")
public class EvaluationsResource {

  @Inject
  Backends backends;

  @Inject
  GatewayConfig config;

  @GET
  @APIResponse(responseCode = "404", ref = "NotFound")
  @Operation(operationId = "listEvaluations", summary = "List a version's evaluations, oldest first", description = "version: an id, name:N or "
      + "name@env (required); optional filters dataset_id, split, metric.")
  public Page<EvaluationJson> list(@QueryParam("version") String version, @QueryParam("dataset_id") String dataset,
      @QueryParam("split") String split, @QueryParam("metric") String metric, @BeanParam PageParams page) {
    var r = backends.registry(s -> s.listEvaluations(ListEvaluationsRequest.newBuilder()
        .setVersion(VersionsResource.selector(version)).setDatasetId(Protos.orEmpty(dataset))
        .setSplit(Protos.orEmpty(split)).setMetric(Protos.orEmpty(metric))
        .setPage(page.toProto(config.limits().maxPageSize())).build()));
    return Page.of(r.getEvaluationsList().stream().map(EvaluationJson::of).toList(), r.getNextPageToken());
  }

  @POST
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @Operation(operationId = "recordEvaluation", summary = "Record an evaluation of a version", description = "Needs the trainer role. Append-only; "
      + "with a job_id the same record sent again is answered with the stored one.")
  public EvaluationJson record(RecordEvaluation body) {
    if (body == null || body.value() == null) {
      throw ApiError.invalidField("value", "Field 'value' is required.");
    }
    return EvaluationJson.of(backends.registry(s -> s.recordEvaluation(RecordEvaluationRequest.newBuilder()
        .setVersion(VersionsResource.selector(body.version())).setDatasetId(Protos.orEmpty(body.datasetId()))
        .setSplit(Protos.orEmpty(body.split())).setMetric(Protos.orEmpty(body.metric())).setValue(body.value())
        .setExamples(body.examples() == null ? 0 : body.examples()).setJobId(Protos.orEmpty(body.jobId()))
        .build())));
  }
}
