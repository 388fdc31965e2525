package io.promptune.registry.grpc;

import com.google.protobuf.Timestamp;
import com.google.protobuf.UnsafeByteOperations;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.VersionKind;
import io.promptune.registry.domain.Alias;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.Ensemble;
import io.promptune.registry.domain.Environment;
import io.promptune.registry.domain.Evaluation;
import io.promptune.registry.domain.Gate;
import io.promptune.registry.domain.GateCheck;
import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.Prompt;
import io.promptune.registry.domain.Version;
import java.time.Instant;
import java.util.UUID;

/** Domain records to v1 messages. Absent ids and names become "" (proto3 has no null strings). */
final class ToProto {

  private ToProto() {}

  static io.promptune.api.v1.Prompt prompt(Prompt p) {
    return io.promptune.api.v1.Prompt.newBuilder().setName(p.name()).setTask(p.task())
        .setDescription(p.description()).setOwner(p.owner()).setCreateTime(time(p.createdAt()))
        .setLatestVersion(p.latestVersion()).build();
  }

  static io.promptune.api.v1.PromptVersion version(Version v) {
    var b = io.promptune.api.v1.PromptVersion.newBuilder().setId(v.id().toString()).setPromptName(v.promptName())
        .setNumber(v.number()).setLength(v.length()).setDModel(v.dModel()).setSha256(v.sha256())
        .setBaseModelId(v.baseModelId()).setBaseModelFingerprint(v.baseModelFingerprint())
        .setTokenizerFingerprint(v.tokenizerFingerprint()).setInitMethod(v.initMethod())
        .setTrainingJobId(v.trainingJobId()).putAllHyperparameters(v.hyperparameters())
        .putAllMetrics(v.metrics()).setCreatedBy(v.createdBy()).setCreateTime(time(v.createdAt()));
    b.setKind(v.isEnsemble() ? VersionKind.ENSEMBLE : VersionKind.SINGLE_PROMPT);
    if (v.isEnsemble()) {
      var e = io.promptune.api.v1.Ensemble.newBuilder().setRule(v.ensemble().rule());
      for (Ensemble.Member m : v.ensemble().members()) {
        var mb = EnsembleMember.newBuilder().setVersionId(m.versionId().toString()).setPromptName(m.promptName())
            .setNumber(m.number()).setLength(m.length()).setDModel(m.dModel()).setSha256(m.sha256());
        if (m.tensor() != null) {
          mb.setTensor(Tensor.newBuilder().addShape(m.length()).addShape(m.dModel()).setDtype(DType.FLOAT32)
              .setData(UnsafeByteOperations.unsafeWrap(m.tensor())));
        }
        e.addMembers(mb);
      }
      b.setEnsemble(e);
    } else if (v.tensor() != null) {
      b.setTensor(Tensor.newBuilder().addShape(v.length()).addShape(v.dModel()).setDtype(DType.FLOAT32)
          .setData(UnsafeByteOperations.unsafeWrap(v.tensor())));
    }
    v.parents().forEach(e -> b.addParents(edge(e)));
    return b.build();
  }

  static io.promptune.api.v1.LineageEdge edge(LineageEdge e) {
    return io.promptune.api.v1.LineageEdge.newBuilder().setChildVersionId(e.child().toString())
        .setParentVersionId(id(e.parent())).setParentExternalRef(e.externalRef() == null ? "" : e.externalRef())
        .setRelation(e.relation()).build();
  }

  static io.promptune.api.v1.Environment environment(Environment e) {
    return io.promptune.api.v1.Environment.newBuilder().setName(e.name()).setPosition(e.position()).build();
  }

  static io.promptune.api.v1.Alias alias(Alias a) {
    return io.promptune.api.v1.Alias.newBuilder().setPromptName(a.promptName()).setEnvironment(a.environment())
        .setVersionId(a.versionId().toString()).setVersionNumber(a.versionNumber())
        .setUpdateTime(time(a.updatedAt())).setUpdatedBy(a.updatedBy()).build();
  }

  static io.promptune.api.v1.AuditEvent event(AuditEvent e) {
    var b = io.promptune.api.v1.AuditEvent.newBuilder().setId(e.id()).setAction(e.action()).setActor(e.actor())
        .setTime(time(e.time())).setPromptName(e.promptName())
        .setEnvironment(e.environment() == null ? "" : e.environment()).setFromVersionId(id(e.fromVersionId()))
        .setToVersionId(id(e.toVersionId())).setReason(e.reason()).setForced(e.forced());
    e.gateChecks().forEach(g -> b.addGateChecks(gateCheck(g)));
    if (e.gate() != null) {
      b.setGate(gate(e.gate()));
    }
    return b.build();
  }

  static io.promptune.api.v1.GateCheck gateCheck(GateCheck g) {
    var b = io.promptune.api.v1.GateCheck.newBuilder().setGateName(g.gateName()).setDatasetId(g.datasetId())
        .setSplit(g.split()).setMetric(g.metric()).setLowerIsBetter(g.lowerIsBetter()).setPassed(g.passed())
        .setFailure(g.failure());
    if (g.threshold() != null) {
      b.setThreshold(g.threshold());
    }
    if (g.maxRegression() != null) {
      b.setMaxRegression(g.maxRegression());
    }
    if (g.found() != null) {
      b.setFound(g.found());
    }
    if (g.current() != null) {
      b.setCurrent(g.current());
    }
    return b.build();
  }

  static io.promptune.api.v1.PromotionGate gate(Gate g) {
    var b = io.promptune.api.v1.PromotionGate.newBuilder().setEnvironment(g.environment()).setName(g.name())
        .setPromptName(g.promptName()).setTask(g.task()).setDatasetId(g.datasetId()).setSplit(g.split())
        .setMetric(g.metric()).setLowerIsBetter(g.lowerIsBetter()).setDescription(g.description())
        .setUpdatedBy(g.updatedBy() == null ? "" : g.updatedBy());
    if (g.threshold() != null) {
      b.setThreshold(g.threshold());
    }
    if (g.maxRegression() != null) {
      b.setMaxRegression(g.maxRegression());
    }
    if (g.updatedAt() != null) {
      b.setUpdateTime(time(g.updatedAt()));
    }
    return b.build();
  }

  static io.promptune.api.v1.Evaluation evaluation(Evaluation e) {
    return io.promptune.api.v1.Evaluation.newBuilder().setId(e.id()).setVersionId(e.versionId().toString())
        .setPromptName(e.promptName()).setVersionNumber(e.versionNumber()).setDatasetId(e.datasetId())
        .setSplit(e.split()).setMetric(e.metric()).setValue(e.value()).setExamples(e.examples()).setJobId(e.jobId())
        .setCreatedBy(e.createdBy()).setCreateTime(time(e.createdAt())).build();
  }

  static Timestamp time(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static String id(UUID id) {
    return id == null ? "" : id.toString();
  }
}
