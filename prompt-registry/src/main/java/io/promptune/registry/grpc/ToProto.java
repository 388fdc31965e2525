package io.promptune.registry.grpc;

import com.google.protobuf.Timestamp;
import com.google.protobuf.UnsafeByteOperations;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.Tensor;
import io.promptune.registry.domain.Alias;
import io.promptune.registry.domain.AuditEvent;
import io.promptune.registry.domain.Environment;
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
    if (v.tensor() != null) {
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
    return io.promptune.api.v1.AuditEvent.newBuilder().setId(e.id()).setAction(e.action()).setActor(e.actor())
        .setTime(time(e.time())).setPromptName(e.promptName())
        .setEnvironment(e.environment() == null ? "" : e.environment()).setFromVersionId(id(e.fromVersionId()))
        .setToVersionId(id(e.toVersionId())).setReason(e.reason()).setForced(e.forced()).build();
  }

  static Timestamp time(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static String id(UUID id) {
    return id == null ? "" : id.toString();
  }
}
