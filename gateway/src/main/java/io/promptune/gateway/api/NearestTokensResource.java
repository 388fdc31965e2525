package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.Tensors;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.api.v1.NearestTokensResponse;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.VersionKind;
import io.promptune.api.v1.VersionSelector;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.errors.ErrorBody;
import io.promptune.gateway.inspect.NearestTokensJson;
import io.promptune.gateway.inspect.RandomBaseline;
import io.promptune.gateway.inspect.TaskLabels;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * What a prompt encodes (paper, "Interpretability"): each row's nearest vocabulary tokens by cosine similarity, from
 * the runtime's NearestTokens, beside a random baseline of equal row norms sent to the same RPC as an inline tensor.
 */
@RequiresRole(Role.VIEWER)
@Path("/v1/versions/{ref}/nearest-tokens")
@Blocking
@Tag(name = "prompts")
public class NearestTokensResource {

  private static final Logger LOG = Logger.getLogger(NearestTokensResource.class);
  static final int DEFAULT_K = 5;
  static final int MAX_K = 100;

  @Inject
  Backends backends;

  @GET
  @Operation(operationId = "getVersionNearestTokens", summary = "Nearest vocabulary tokens of each prompt row",
      description = "For each row of the version's prompt, the k (1-100, default 5) vocabulary tokens with the "
          + "highest cosine similarity, whether one of them is a class label (labels: comma separated; when absent, "
          + "what the registry records about the version's task), and the same for a random baseline: per row a "
          + "random vector of the same L2 norm, seeded from the version id so the answer is stable. An ensemble "
          + "version has no tensor of its own: it is refused with ENSEMBLE_NOT_SUPPORTED (412), naming its members "
          + "to inspect instead.")
  @APIResponse(responseCode = "200", description = "The report",
      content = @Content(mediaType = "application/json",
          schema = @Schema(implementation = NearestTokensJson.class)))
  @APIResponse(responseCode = "400", ref = "BadRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "412", description = "The version is an ensemble (ENSEMBLE_NOT_SUPPORTED); "
      + "error.details.members lists its member versions.",
      content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class)))
  public NearestTokensJson nearestTokens(
      @Parameter(description = "A version id, name:N or name@env.") @PathParam("ref") String ref,
      @Parameter(description = "Nearest tokens per row, 1-100.", schema = @Schema(type = SchemaType.INTEGER,
          minimum = "1", maximum = "100", defaultValue = "5"))
      @QueryParam("k") @DefaultValue("5") String kParam,
      @Parameter(description = "Class labels to mark, comma separated (e.g. positive,negative); when absent, what "
          + "the registry records about the version's task.")
      @QueryParam("labels") String labels) {
    int k = k(kParam);
    PromptVersion v = backends.registry(s -> s.getVersion(GetVersionRequest.newBuilder()
        .setVersion(VersionsResource.selector(ref)).build()));
    if (v.getKind() == VersionKind.ENSEMBLE) {
      var members = v.getEnsemble().getMembersList().stream().map(m -> m.getPromptName() + ":" + m.getNumber())
          .toList();
      throw new ApiError(412, "ENSEMBLE_NOT_SUPPORTED", "Version " + v.getPromptName() + ":" + v.getNumber()
          + " is an ensemble and has no prompt tensor of its own; inspect one of its members: "
          + String.join(", ", members) + ".", Map.of("members", members));
    }
    float[] values;
    try {
      values = Tensors.toFloats(v.getTensor(), "tensor");
    } catch (IllegalArgumentException e) {
      throw new ApiError(500, "INTERNAL", "The registry answered an unreadable tensor for " + ref + ": "
          + e.getMessage());
    }
    TaskLabels task = TaskLabels.resolve(labels, v.getHyperparametersMap(), List.of(), null);
    if (task.source().equals(TaskLabels.NONE)) { // the backends are asked only when the version says nothing
      task = TaskLabels.resolve(null, v.getHyperparametersMap(), jobLabels(v), null);
    }
    if (task.source().equals(TaskLabels.NONE)) {
      task = TaskLabels.resolve(null, v.getHyperparametersMap(), List.of(), promptTask(v));
    }
    double[] norms = RandomBaseline.rowNorms(values, v.getLength(), v.getDModel());
    long seed = RandomBaseline.seedFor(v.getId());
    float[] random = RandomBaseline.matrix(norms, v.getDModel(), seed);
    NearestTokensResponse trained = backends.inference(s -> s.nearestTokens(NearestTokensRequest.newBuilder()
        .setPrompt(PromptRef.newBuilder().setVersion(VersionSelector.newBuilder().setRef(v.getId()))).setK(k)
        .build()));
    NearestTokensResponse baseline = backends.inference(s -> s.nearestTokens(NearestTokensRequest.newBuilder()
        .setPrompt(PromptRef.newBuilder().setTensor(Tensors.float32(random, v.getLength(), v.getDModel())))
        .setK(k).build()));
    return NearestTokensJson.of(v, k, task, norms, trained, seed,
        RandomBaseline.rowNorms(random, v.getLength(), v.getDModel()), baseline);
  }

  /**
   * The labels of the task format of the job that trained the version: its labels, else its label_map's values.
   * Empty when there is no such job or the trainer no longer knows it or cannot be asked (the labels then come from
   * elsewhere; the report says where).
   */
  List<String> jobLabels(PromptVersion v) {
    if (v.getTrainingJobId().isEmpty()) {
      return List.of();
    }
    try {
      TaskFormat f = backends.trainer(s -> s.getJob(GetJobRequest.newBuilder().setJobId(v.getTrainingJobId())
          .build())).getSpec().getTaskFormat();
      return f.getLabelsCount() > 0 ? List.copyOf(f.getLabelsList())
          : f.getLabelMapMap().values().stream().distinct().sorted().toList();
    } catch (ApiError e) {
      LOG.debugf("labels of job %s unavailable: %s", v.getTrainingJobId(), e.getMessage());
      return List.of();
    }
  }

  /** The task of the version's prompt; null when the registry does not answer it. */
  String promptTask(PromptVersion v) {
    try {
      return backends.registry(s -> s.getPrompt(GetPromptRequest.newBuilder().setName(v.getPromptName()).build()))
          .getTask();
    } catch (ApiError e) {
      LOG.debugf("task of prompt %s unavailable: %s", v.getPromptName(), e.getMessage());
      return null;
    }
  }

  /** k as the caller wrote it: an integer in [1, MAX_K] (a string here, so that "abc" is a 400 naming k). */
  static int k(String value) {
    int k;
    try {
      k = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      k = -1;
    }
    if (k < 1 || k > MAX_K) {
      throw ApiError.invalidField("k", "k must be an integer between 1 and " + MAX_K + " (default " + DEFAULT_K
          + "), got '" + value + "'.");
    }
    return k;
  }
}
