package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListAliasesRequest;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.NumberedVersion;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RollbackRequest;
import io.promptune.api.v1.VersionSelector;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.auth.Caller;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.Page;
import io.promptune.gateway.json.PageParams;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.RegistryJson.AliasJson;
import io.promptune.gateway.json.RegistryJson.CreatePrompt;
import io.promptune.gateway.json.RegistryJson.EdgeJson;
import io.promptune.gateway.json.RegistryJson.PromotionJson;
import io.promptune.gateway.json.RegistryJson.Promote;
import io.promptune.gateway.json.RegistryJson.PromptJson;
import io.promptune.gateway.json.RegistryJson.PublishVersion;
import io.promptune.gateway.json.RegistryJson.Rollback;
import io.promptune.gateway.json.RegistryJson.VersionJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseStatus;

/** Prompts, their versions and their environment aliases (promotion and rollback). */
@RequiresRole(Role.VIEWER)
@Path("/v1/prompts")
@Blocking
@Tag(name = "prompts")
public class PromptsResource {

  @Inject
  Backends backends;

  @Inject
  Caller caller;

  @Inject
  GatewayConfig config;

  @GET
  @Operation(operationId = "listPrompts", summary = "List prompts", description = "Optionally only those of one task.")
  public Page<PromptJson> list(@BeanParam PageParams page, @QueryParam("task") String task) {
    var r = backends.registry(s -> s.listPrompts(ListPromptsRequest.newBuilder()
        .setPage(page.toProto(config.limits().maxPageSize())).setTask(Protos.orEmpty(task)).build()));
    return Page.of(r.getPromptsList().stream().map(PromptJson::of).toList(), r.getNextPageToken());
  }

  @POST
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @Operation(operationId = "createPrompt",
      summary = "Create a prompt", description = "Needs the trainer role. The owner defaults to the caller.")
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "409", ref = "Conflict")
  @APIResponse(responseCode = "201", description = "Created",
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PromptJson.class)))
  public PromptJson create(CreatePrompt body) {
    if (body == null || body.name() == null || body.name().isBlank()) {
      throw ApiError.invalidField("name", "Field 'name' is required (1-128 of [A-Za-z0-9._-]).");
    }
    return PromptJson.of(backends.registry(s -> s.createPrompt(CreatePromptRequest.newBuilder()
        .setName(body.name().trim()).setTask(Protos.orEmpty(body.task()))
        .setDescription(Protos.orEmpty(body.description())).setOwner(Protos.orEmpty(body.owner())).build())));
  }

  @GET
  @Path("{name}")
  @Operation(operationId = "getPrompt", summary = "Get a prompt")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public PromptJson get(@PathParam("name") String name) {
    return PromptJson.of(backends.registry(s -> s.getPrompt(GetPromptRequest.newBuilder().setName(name).build())));
  }

  @GET
  @Path("{name}/versions")
  @Operation(operationId = "listPromptVersions", summary = "List a prompt's versions, newest first")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Page<VersionJson> versions(@PathParam("name") String name, @BeanParam PageParams page,
      @QueryParam("include_tensor") boolean includeTensor) {
    var r = backends.registry(s -> s.listVersions(ListVersionsRequest.newBuilder().setPromptName(name)
        .setPage(page.toProto(config.limits().maxPageSize())).setIncludeTensor(includeTensor).build()));
    return Page.of(r.getVersionsList().stream().map(VersionJson::of).toList(), r.getNextPageToken());
  }

  @GET
  @Path("{name}/versions/{number}")
  @Operation(operationId = "getPromptVersion", summary = "Get one version of a prompt by its number")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public VersionJson version(@PathParam("name") String name, @PathParam("number") int number,
      @QueryParam("include_tensor") boolean includeTensor) {
    return VersionJson.of(backends.registry(s -> s.getVersion(GetVersionRequest.newBuilder()
        .setVersion(VersionSelector.newBuilder().setNumbered(NumberedVersion.newBuilder().setPromptName(name)
            .setNumber(number)))
        .setOmitTensor(!includeTensor).build())));
  }

  @POST
  @Path("{name}/versions")
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @Operation(operationId = "publishVersion",
      summary = "Publish a version by hand", description = "Needs the trainer role. The tensor is "
      + "[length, d_model] float32, little-endian, base64.")
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "201", description = "Created",
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = VersionJson.class)))
  public VersionJson publish(@PathParam("name") String name, PublishVersion body) {
    if (body == null || body.tensor() == null) {
      throw ApiError.invalidField("tensor", "Field 'tensor' is required: {shape: [length, d_model], dtype: "
          + "float32, data_base64: ...}.");
    }
    PublishVersionRequest.Builder b = PublishVersionRequest.newBuilder().setPromptName(name)
        .setTensor(body.tensor().toProto("tensor"))
        .setBaseModelId(Protos.orEmpty(body.baseModelId()))
        .setBaseModelFingerprint(Protos.orEmpty(body.baseModelFingerprint()))
        .setTokenizerFingerprint(Protos.orEmpty(body.tokenizerFingerprint()))
        .setInitMethod(Protos.parse(InitMethod.class, body.initMethod(), "init_method",
            InitMethod.INIT_METHOD_UNSPECIFIED))
        .setTrainingJobId(Protos.orEmpty(body.trainingJobId()))
        .setCreatePromptIfMissing(Boolean.TRUE.equals(body.createPromptIfMissing()))
        .setTask(Protos.orEmpty(body.task()));
    if (body.hyperparameters() != null) {
      b.putAllHyperparameters(body.hyperparameters());
    }
    if (body.metrics() != null) {
      b.putAllMetrics(body.metrics());
    }
    for (EdgeJson e : body.parents() == null ? List.<EdgeJson>of() : body.parents()) {
      b.addParents(LineageEdge.newBuilder().setParentVersionId(Protos.orEmpty(e.parentVersionId()))
          .setParentExternalRef(Protos.orEmpty(e.parentExternalRef()))
          .setRelation(Protos.parse(LineageRelation.class, e.relation(), "parents.relation",
              LineageRelation.INITIALIZED_FROM)));
    }
    return VersionJson.of(backends.registry(s -> s.publishVersion(b.build())));
  }

  @GET
  @Path("{name}/environments")
  @Operation(operationId = "listPromptEnvironments", summary = "Which version each environment of a prompt points at")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public List<AliasJson> aliases(@PathParam("name") String name) {
    return backends.registry(s -> s.listAliases(ListAliasesRequest.newBuilder().setPromptName(name).build()))
        .getAliasesList().stream().map(AliasJson::of).toList();
  }

  @POST
  @Path("{name}/environments/{env}/promote")
  @RequiresRole(Role.OPERATOR)
  @Operation(operationId = "promoteVersion",
      summary = "Point an environment at a version", description = "Needs the operator role; force (skip "
      + "the environment order and compatibility checks) needs admin. Audited. Asking for the version the "
      + "environment already holds is a no-op: 200 with changed=false and no event (nothing moved, nothing "
      + "audited).")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  public PromotionJson promote(@PathParam("name") String name, @PathParam("env") String env, Promote body) {
    if (body == null || (body.versionId() == null) == (body.version() == null)) {
      throw ApiError.invalidField("version", "Give exactly one of 'version' (the number, e.g. 3) or 'version_id'.");
    }
    boolean force = Boolean.TRUE.equals(body.force());
    if (force) {
      caller.require(Role.ADMIN, "A forced promotion");
    }
    PromoteRequest.Builder b = PromoteRequest.newBuilder().setPromptName(name).setEnvironment(env).setForce(force)
        .setReason(Protos.orEmpty(body.reason()));
    if (body.versionId() != null) {
      b.setVersionId(body.versionId());
    } else {
      b.setVersionNumber(body.version());
    }
    if (body.expectedCurrentVersionId() != null) {
      b.setExpectedCurrentVersionId(body.expectedCurrentVersionId());
    }
    return PromotionJson.of(backends.registry(s -> s.promote(b.build())));
  }

  @POST
  @Path("{name}/environments/{env}/rollback")
  @RequiresRole(Role.OPERATOR)
  @Operation(operationId = "rollbackEnvironment",
      summary = "Point an environment back at its previous version", description = "Needs the operator "
      + "role. Audited; always moves the alias (changed=true with the event), or fails with NOTHING_TO_ROLL_BACK.")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  public PromotionJson rollback(@PathParam("name") String name, @PathParam("env") String env, Rollback body) {
    RollbackRequest.Builder b = RollbackRequest.newBuilder().setPromptName(name).setEnvironment(env);
    if (body != null) {
      b.setReason(Protos.orEmpty(body.reason()));
      if (body.expectedCurrentVersionId() != null) {
        b.setExpectedCurrentVersionId(body.expectedCurrentVersionId());
      }
    }
    return PromotionJson.of(backends.registry(s -> s.rollback(b.build())));
  }
}
