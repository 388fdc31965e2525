package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.auth.RequiresRole;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.api.v1.ExportPeftRequest;
import io.promptune.api.v1.GetLineageRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.LineageDirection;
import io.promptune.api.v1.VersionSelector;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.RegistryJson.LineageJson;
import io.promptune.gateway.json.RegistryJson.VersionJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.io.IOException;
import java.util.Base64;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** One version by reference: an id, {@code name:N} or {@code name@env}; its lineage; its PEFT export. */
@RequiresRole(Role.VIEWER)
@Path("/v1/versions")
@Blocking
@Tag(name = "prompts")
public class VersionsResource {

  @Inject
  Backends backends;

  @Inject
  ObjectMapper json;

  static VersionSelector selector(String ref) {
    if (ref == null || ref.isBlank()) {
      throw ApiError.invalidField("ref", "A version reference is required: an id, name:N or name@env.");
    }
    return VersionSelector.newBuilder().setRef(ref.trim()).build();
  }

  @GET
  @Path("{ref}")
  @Operation(operationId = "getVersion", summary = "Get a version by id, name:N or name@env")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public VersionJson get(@PathParam("ref") String ref, @QueryParam("include_tensor") boolean includeTensor) {
    return VersionJson.of(backends.registry(s -> s.getVersion(GetVersionRequest.newBuilder()
        .setVersion(selector(ref)).setOmitTensor(!includeTensor).build())));
  }

  @GET
  @Path("{ref}/lineage")
  @Operation(operationId = "getVersionLineage",
      summary = "Walk a version's lineage", description = "direction: up (what it came from), down (what "
      + "came from it) or both; max_depth 1-100 (default 10).")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public LineageJson lineage(@PathParam("ref") String ref, @QueryParam("direction") @DefaultValue("both")
      String direction, @QueryParam("max_depth") @DefaultValue("0") int maxDepth) {
    if (maxDepth < 0 || maxDepth > 100) {
      throw ApiError.invalidField("max_depth", "max_depth must be between 1 and 100 (0: 10).");
    }
    LineageDirection d = Protos.parse(LineageDirection.class, direction, "direction", LineageDirection.BOTH);
    return LineageJson.of(backends.registry(s -> s.getLineage(GetLineageRequest.newBuilder()
        .setVersion(selector(ref)).setDirection(d).setMaxDepth(maxDepth).build())));
  }

  /** A PEFT prompt-tuning adapter as JSON: the parsed adapter_config.json and the safetensors file in base64. */
  public record PeftJson(
      @Schema(implementation = java.util.Map.class, description = "adapter_config.json, as PEFT reads it.")
      JsonNode adapterConfig,
      @Schema(description = "adapter_model.safetensors, base64.")
      String adapterModelSafetensorsBase64) {}

  @GET
  @Path("{ref}/peft")
  @Operation(operationId = "exportVersionPeft",
      summary = "Export a version in the Hugging Face PEFT prompt-tuning layout")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public PeftJson peft(@PathParam("ref") String ref) throws IOException {
    var a = backends.registry(s -> s.exportPeft(ExportPeftRequest.newBuilder().setVersion(selector(ref)).build()));
    return new PeftJson(json.readTree(a.getAdapterConfigJson().toByteArray()),
        Base64.getEncoder().encodeToString(a.getAdapterModelSafetensors().toByteArray()));
  }
}
