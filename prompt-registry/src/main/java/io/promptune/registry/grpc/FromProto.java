package io.promptune.registry.grpc;

import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.ImportPeftRequest;
import io.promptune.api.v1.PromotionGate;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.SetPromotionGateRequest;
import io.promptune.api.v1.LineageDirection;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.VersionSelector;
import io.promptune.registry.domain.Gate;
import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.NewEnsemble;
import io.promptune.registry.domain.NewVersion;
import io.promptune.registry.domain.RawTensor;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.peft.PeftAdapter;
import io.promptune.registry.peft.PeftService;
import io.promptune.registry.service.EvaluationService;
import io.promptune.registry.service.LineageService;
import io.promptune.registry.service.PromotionService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** v1 requests to domain commands. Only shape is checked here; the services check meaning. */
final class FromProto {

  private FromProto() {}

  static VersionRef selector(VersionSelector s, String field) {
    return switch (s.getSelectorCase()) {
      case VERSION_ID -> new VersionRef.ById(VersionRef.parseId(s.getVersionId(), field + ".version_id"));
      case NUMBERED -> {
        if (s.getNumbered().getNumber() < 1) {
          throw RegistryException.invalid(field + ".numbered.number", field + ".numbered.number must be 1 or more, "
              + "got " + s.getNumbered().getNumber());
        }
        yield new VersionRef.ByNumber(s.getNumbered().getPromptName(), s.getNumbered().getNumber());
      }
      case ENVIRONMENT -> new VersionRef.ByEnvironment(s.getEnvironment().getPromptName(),
          s.getEnvironment().getEnvironment());
      case REF -> VersionRef.parse(s.getRef(), field + ".ref");
      case SELECTOR_NOT_SET -> throw RegistryException.invalid(field, field + " is required: set version_id, "
          + "numbered, environment or ref");
    };
  }

  static NewVersion newVersion(PublishVersionRequest r) {
    List<LineageEdge> parents = new ArrayList<>();
    for (int i = 0; i < r.getParentsCount(); i++) {
      var p = r.getParents(i);
      parents.add(new LineageEdge(null, p.getParentVersionId().isEmpty() ? null
          : VersionRef.parseId(p.getParentVersionId(), "parents[" + i + "].parent_version_id"),
          p.getParentExternalRef().isEmpty() ? null : p.getParentExternalRef(), p.getRelation()));
    }
    if (!r.hasTensor()) {
      throw new RegistryException(io.promptune.api.v1.ErrorReason.INVALID_TENSOR, "tensor is required: the "
          + "prompt matrix [length, d_model] as FLOAT32");
    }
    var t = r.getTensor();
    return new NewVersion(r.getPromptName(), new RawTensor(t.getDtype(), t.getShapeList(), t.getData().toByteArray()),
        r.getBaseModelId(), r.getBaseModelFingerprint(), r.getTokenizerFingerprint(), r.getInitMethod(),
        r.getTrainingJobId(), r.getHyperparametersMap(), r.getMetricsMap(), parents, r.getCreatePromptIfMissing(),
        r.getTask());
  }

  static NewEnsemble newEnsemble(CreateEnsembleRequest r) {
    List<VersionRef> members = new ArrayList<>();
    for (int i = 0; i < r.getMembersCount(); i++) {
      members.add(selector(r.getMembers(i), "members[" + i + "]"));
    }
    return new NewEnsemble(r.getPromptName(), members, r.getRule(), r.getTrainingJobId(), r.getHyperparametersMap(),
        r.getMetricsMap(), r.getCreatePromptIfMissing(), r.getTask());
  }

  static EvaluationService.NewEvaluation newEvaluation(RecordEvaluationRequest r) {
    return new EvaluationService.NewEvaluation(selector(r.getVersion(), "version"), r.getDatasetId(), r.getSplit(),
        r.getMetric(), r.getValue(), r.getExamples(), r.getJobId());
  }

  static Gate gate(SetPromotionGateRequest r) {
    if (!r.hasGate()) {
      throw RegistryException.invalid("gate", "gate is required");
    }
    PromotionGate g = r.getGate();
    return new Gate(g.getEnvironment(), g.getName(), g.getPromptName(), g.getTask(), g.getDatasetId(), g.getSplit(),
        g.getMetric(), g.hasThreshold() ? g.getThreshold() : null, g.hasMaxRegression() ? g.getMaxRegression() : null,
        g.getLowerIsBetter(), g.getDescription(), null, null);
  }

  static PeftService.ImportRequest importRequest(ImportPeftRequest r) {
    return new PeftService.ImportRequest(r.getPromptName(), new PeftAdapter(
        r.getAdapter().getAdapterConfigJson().toByteArray(), r.getAdapter().getAdapterModelSafetensors().toByteArray()),
        r.getBaseModelFingerprint(), r.getTokenizerFingerprint(), r.getBaseModelId(), r.getSource(),
        r.getCreatePromptIfMissing(), r.getTask());
  }

  static PromotionService.Target target(PromoteRequest r) {
    return switch (r.getTargetCase()) {
      case VERSION_ID -> new PromotionService.Target.ById(VersionRef.parseId(r.getVersionId(), "version_id"));
      case VERSION_NUMBER -> {
        if (r.getVersionNumber() < 1) {
          throw RegistryException.invalid("version_number", "version_number must be 1 or more, got "
              + r.getVersionNumber());
        }
        yield new PromotionService.Target.ByNumber(r.getVersionNumber());
      }
      case TARGET_NOT_SET -> throw RegistryException.invalid("target", "say which version to promote: set "
          + "version_id or version_number");
    };
  }

  static PromotionService.Expectation expectation(boolean has, String versionId) {
    return has ? new PromotionService.Expectation(Optional.of(versionId)) : PromotionService.Expectation.NONE;
  }

  static LineageService.Direction direction(LineageDirection d) {
    return switch (d) {
      case UP -> LineageService.Direction.UP;
      case DOWN -> LineageService.Direction.DOWN;
      case BOTH, LINEAGE_DIRECTION_UNSPECIFIED -> LineageService.Direction.BOTH;
      case UNRECOGNIZED -> throw RegistryException.invalid("direction", "direction must be UP, DOWN or BOTH");
    };
  }
}
