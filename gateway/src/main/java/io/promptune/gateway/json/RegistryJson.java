package io.promptune.gateway.json;

import static io.promptune.gateway.json.Protos.name;
import static io.promptune.gateway.json.Protos.str;
import static io.promptune.gateway.json.Protos.time;

import com.google.protobuf.ByteString;
import io.promptune.api.v1.Alias;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.Environment;
import io.promptune.api.v1.Lineage;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.Prompt;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.Tensor;
import io.promptune.gateway.errors.ApiError;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** JSON shapes of the registry's messages, and their mapping from proto. */
public final class RegistryJson {

  private RegistryJson() {}

  public record PromptJson(String name, String task, String description, String owner, String createTime,
      int latestVersion) {

    public static PromptJson of(Prompt p) {
      return new PromptJson(p.getName(), str(p.getTask()), str(p.getDescription()), str(p.getOwner()),
          time(p.getCreateTime()), p.getLatestVersion());
    }
  }

  /** Body of POST /v1/prompts. */
  public record CreatePrompt(String name, String task, String description, String owner) {}

  /** A tensor: shape, dtype and the little-endian bytes in base64. */
  public record TensorJson(List<Long> shape, String dtype, String dataBase64) {

    public static TensorJson of(Tensor t) {
      return new TensorJson(t.getShapeList(), name(t.getDtype()),
          Base64.getEncoder().encodeToString(t.getData().toByteArray()));
    }

    public Tensor toProto(String field) {
      if (shape == null || shape.isEmpty()) {
        throw ApiError.invalidField(field + ".shape", "Field '" + field + ".shape' is required, e.g. [20, 512].");
      }
      byte[] data;
      try {
        data = Base64.getDecoder().decode(dataBase64 == null ? "" : dataBase64);
      } catch (IllegalArgumentException e) {
        throw ApiError.invalidField(field + ".data_base64", "Field '" + field + ".data_base64' is not base64: "
            + e.getMessage());
      }
      return Tensor.newBuilder().addAllShape(shape)
          .setDtype(Protos.parse(DType.class, dtype, field + ".dtype", DType.FLOAT32))
          .setData(ByteString.copyFrom(data)).build();
    }
  }

  public record EdgeJson(String childVersionId, String parentVersionId, String parentExternalRef, String relation) {

    public static EdgeJson of(LineageEdge e) {
      return new EdgeJson(str(e.getChildVersionId()), str(e.getParentVersionId()), str(e.getParentExternalRef()),
          name(e.getRelation()));
    }
  }

  public record VersionJson(String id, String promptName, int number, int length, int dModel, String sha256,
      String baseModelId, String baseModelFingerprint, String tokenizerFingerprint, String initMethod,
      String trainingJobId, Map<String, String> hyperparameters, Map<String, Double> metrics, String createdBy,
      String createTime, List<EdgeJson> parents, TensorJson tensor, String kind,
      QualityJson.EnsembleJson ensemble) {

    public static VersionJson of(PromptVersion v) {
      return new VersionJson(v.getId(), v.getPromptName(), v.getNumber(), v.getLength(), v.getDModel(),
          str(v.getSha256()), str(v.getBaseModelId()), str(v.getBaseModelFingerprint()),
          str(v.getTokenizerFingerprint()), name(v.getInitMethod()), str(v.getTrainingJobId()),
          v.getHyperparametersMap(), v.getMetricsMap(), str(v.getCreatedBy()), time(v.getCreateTime()),
          v.getParentsList().stream().map(EdgeJson::of).toList(),
          v.hasTensor() && v.getTensor().getShapeCount() > 0 ? TensorJson.of(v.getTensor()) : null,
          name(v.getKind()), v.hasEnsemble() ? QualityJson.EnsembleJson.of(v.getEnsemble()) : null);
    }
  }

  /** Body of POST /v1/prompts/{name}/versions: a version published by hand. */
  public record PublishVersion(TensorJson tensor, String baseModelId, String baseModelFingerprint,
      String tokenizerFingerprint, String initMethod, String trainingJobId, Map<String, String> hyperparameters,
      Map<String, Double> metrics, List<EdgeJson> parents, Boolean createPromptIfMissing, String task) {}

  public record LineageJson(List<VersionJson> versions, List<EdgeJson> edges) {

    public static LineageJson of(Lineage l) {
      return new LineageJson(l.getVersionsList().stream().map(VersionJson::of).toList(),
          l.getEdgesList().stream().map(EdgeJson::of).toList());
    }
  }

  public record EnvironmentJson(String name, int position) {

    public static EnvironmentJson of(Environment e) {
      return new EnvironmentJson(e.getName(), e.getPosition());
    }
  }

  public record AliasJson(String promptName, String environment, String versionId, int versionNumber,
      String updateTime, String updatedBy) {

    public static AliasJson of(Alias a) {
      return new AliasJson(a.getPromptName(), a.getEnvironment(), str(a.getVersionId()), a.getVersionNumber(),
          time(a.getUpdateTime()), str(a.getUpdatedBy()));
    }
  }

  /**
   * Body of POST /v1/prompts/{name}/environments/{env}/promote: the version (id or number), optionally the version
   * you believe is there now (optimistic concurrency; "" = none yet), force (admin only) and why.
   */
  public record Promote(String versionId, Integer version, String expectedCurrentVersionId, Boolean force,
      String reason) {}

  /** Body of POST /v1/prompts/{name}/environments/{env}/rollback. */
  public record Rollback(String expectedCurrentVersionId, String reason) {}

  public record AuditEventJson(long id, String action, String actor, String time, String promptName,
      String environment, String fromVersionId, String toVersionId, String reason, boolean forced,
      @Schema(description = "Promotions: every gate checked; a forced promotion keeps the gates it skipped with "
          + "`passed: false`.") List<QualityJson.GateCheckJson> gateChecks,
      @Schema(description = "Gate edits: the gate as set, or as it was before deletion.") QualityJson.GateJson gate) {

    public static AuditEventJson of(AuditEvent e) {
      return new AuditEventJson(e.getId(), name(e.getAction()), str(e.getActor()), Protos.time(e.getTime()),
          str(e.getPromptName()), str(e.getEnvironment()), str(e.getFromVersionId()), str(e.getToVersionId()),
          str(e.getReason()), e.getForced(), e.getGateChecksList().stream().map(QualityJson.GateCheckJson::of)
              .toList(), e.hasGate() ? QualityJson.GateJson.of(e.getGate()) : null);
    }
  }

  /**
   * Answer of promote and rollback. {@code changed} is false when the environment already held the asked-for
   * version: nothing moved, nothing was audited, and there is no {@code event} (the event that put the version there
   * belongs to whoever moved it; see GET /v1/audit).
   */
  public record PromotionJson(
      @Schema(description = "What the environment points at after the call.") AliasJson alias,
      @Schema(description = "True when this call moved the alias and appended `event`; false when the environment "
          + "already held the version (a no-op: nothing changed, nothing audited, no `event`). A rollback always "
          + "moves.") boolean changed,
      @Schema(description = "The audit event this call appended; absent when `changed` is false.")
      AuditEventJson event) {

    public static PromotionJson of(PromotionResult r) {
      return new PromotionJson(r.hasAlias() ? AliasJson.of(r.getAlias()) : null, r.getChanged(),
          r.hasEvent() ? AuditEventJson.of(r.getEvent()) : null);
    }
  }
}
