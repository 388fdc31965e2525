package io.promptune.gateway.api;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.gateway.backend.Backends;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The frozen model the runtime has loaded. */
@RequiresRole(Role.VIEWER)
@Path("/v1/model")
@Blocking
@Tag(name = "inference")
public class ModelResource {

  @Inject
  Backends backends;

  public record ModelJson(String modelId, String fingerprint, String tokenizerFingerprint, String architecture,
      int dModel, int dKv, int dFf, int numHeads, int numLayers, int numDecoderLayers, int vocabSize,
      int maxInputTokens, int maxTargetTokens, int maxPromptLength, int maxBatchExamples, String device,
      String weightsDtype) {

    static ModelJson of(ModelInfo m) {
      return new ModelJson(m.getModelId(), m.getFingerprint(), m.getTokenizerFingerprint(), m.getArchitecture(),
          m.getDModel(), m.getDKv(), m.getDFf(), m.getNumHeads(), m.getNumLayers(), m.getNumDecoderLayers(),
          m.getVocabSize(), m.getMaxInputTokens(), m.getMaxTargetTokens(), m.getMaxPromptLength(),
          m.getMaxBatchExamples(), m.getDevice(), m.getWeightsDtype());
    }
  }

  @GET
  @Operation(operationId = "getModelInfo", summary = "Which model the runtime has loaded, its fingerprint and limits")
  public ModelJson model() {
    return ModelJson.of(backends.runtime(s -> s.getModelInfo(GetModelInfoRequest.getDefaultInstance())));
  }
}
