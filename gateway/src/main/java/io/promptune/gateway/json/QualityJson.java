package io.promptune.gateway.json;

import static io.promptune.gateway.json.Protos.name;
import static io.promptune.gateway.json.Protos.str;
import static io.promptune.gateway.json.Protos.time;

import io.promptune.api.v1.Ensemble;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.GateCheck;
import io.promptune.api.v1.PromotionGate;
import io.promptune.gateway.json.RegistryJson.TensorJson;
import java.util.List;
import java.util.Map;

/** JSON shapes of ensembles, evaluations and promotion gates (registry, issue 14). */
public final class QualityJson {

  private QualityJson() {}

  public record MemberJson(String versionId, String promptName, int number, int length, int dModel, String sha256,
      TensorJson tensor) {

    public static MemberJson of(EnsembleMember m) {
      return new MemberJson(m.getVersionId(), m.getPromptName(), m.getNumber(), m.getLength(), m.getDModel(),
          str(m.getSha256()), m.hasTensor() && m.getTensor().getShapeCount() > 0 ? TensorJson.of(m.getTensor())
              : null);
    }
  }

  public record EnsembleJson(String rule, List<MemberJson> members) {

    public static EnsembleJson of(Ensemble e) {
      return new EnsembleJson(name(e.getRule()), e.getMembersList().stream().map(MemberJson::of).toList());
    }
  }

  /** Body of POST /v1/ensembles: members as references ("name:3", "name@prod" or an id). */
  public record CreateEnsemble(String promptName, List<String> members, String rule, String trainingJobId,
      Map<String, String> hyperparameters, Map<String, Double> metrics, Boolean createPromptIfMissing,
      String task) {}

  public record EvaluationJson(long id, String versionId, String promptName, int versionNumber, String datasetId,
      String split, String metric, double value, long examples, String jobId, String createdBy, String createTime) {

    public static EvaluationJson of(Evaluation e) {
      return new EvaluationJson(e.getId(), e.getVersionId(), e.getPromptName(), e.getVersionNumber(),
          e.getDatasetId(), e.getSplit(), e.getMetric(), e.getValue(), e.getExamples(), str(e.getJobId()),
          str(e.getCreatedBy()), time(e.getCreateTime()));
    }
  }

  /** Body of POST /v1/evaluations. */
  public record RecordEvaluation(String version, String datasetId, String split, String metric, Double value,
      Long examples, String jobId) {}

  public record GateJson(String environment, String name, String promptName, String task, String datasetId,
      String split, String metric, Double threshold, Double maxRegression, boolean lowerIsBetter,
      String description, String updatedBy, String updateTime) {

    public static GateJson of(PromotionGate g) {
      return new GateJson(g.getEnvironment(), g.getName(), str(g.getPromptName()), str(g.getTask()),
          g.getDatasetId(), g.getSplit(), g.getMetric(), g.hasThreshold() ? g.getThreshold() : null,
          g.hasMaxRegression() ? g.getMaxRegression() : null, g.getLowerIsBetter(), str(g.getDescription()),
          str(g.getUpdatedBy()), time(g.getUpdateTime()));
    }
  }

  /** Body of PUT /v1/gates/{env}/{name}. */
  public record SetGate(String promptName, String task, String datasetId, String split, String metric,
      Double threshold, Double maxRegression, Boolean lowerIsBetter, String description, String reason) {}

  public record GateCheckJson(String gateName, String datasetId, String split, String metric, boolean lowerIsBetter,
      boolean passed, Double threshold, Double maxRegression, Double found, Double current, String failure) {

    public static GateCheckJson of(GateCheck g) {
      return new GateCheckJson(g.getGateName(), g.getDatasetId(), g.getSplit(), g.getMetric(), g.getLowerIsBetter(),
          g.getPassed(), g.hasThreshold() ? g.getThreshold() : null,
          g.hasMaxRegression() ? g.getMaxRegression() : null, g.hasFound() ? g.getFound() : null,
          g.hasCurrent() ? g.getCurrent() : null, str(g.getFailure()));
    }
  }
}
