package io.promptune.registry.domain;

import io.promptune.api.v1.InitMethod;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One immutable prompt version. {@code tensor} holds the little-endian float32 bytes of the [length, dModel]
 * matrix, or is null when the caller asked for metadata only. {@code ensemble} is null for a single prompt; an
 * ensemble has length 0, no tensor, and its members there.
 */
public record Version(UUID id, long promptId, String promptName, int number, int length, int dModel, byte[] tensor,
    String sha256, String baseModelId, String baseModelFingerprint, String tokenizerFingerprint,
    InitMethod initMethod, String trainingJobId, Map<String, String> hyperparameters, Map<String, Double> metrics,
    String createdBy, Instant createdAt, List<LineageEdge> parents, Ensemble ensemble) {

  public Version withParents(List<LineageEdge> edges) {
    return new Version(id, promptId, promptName, number, length, dModel, tensor, sha256, baseModelId,
        baseModelFingerprint, tokenizerFingerprint, initMethod, trainingJobId, hyperparameters, metrics, createdBy,
        createdAt, List.copyOf(edges), ensemble);
  }

  public Version withTensor(byte[] bytes) {
    return new Version(id, promptId, promptName, number, length, dModel, isEnsemble() ? null : bytes, sha256,
        baseModelId, baseModelFingerprint, tokenizerFingerprint, initMethod, trainingJobId, hyperparameters, metrics,
        createdBy, createdAt, parents, ensemble);
  }

  public Version withEnsemble(Ensemble e) {
    return new Version(id, promptId, promptName, number, length, dModel, tensor, sha256, baseModelId,
        baseModelFingerprint, tokenizerFingerprint, initMethod, trainingJobId, hyperparameters, metrics, createdBy,
        createdAt, parents, e);
  }

  public boolean isEnsemble() {
    return ensemble != null;
  }

  /** Bytes of the tensor: length x dModel float32 (0 for an ensemble). */
  public long tensorBytes() {
    return (long) length * dModel * Float.BYTES;
  }

  /** "name:number", the way people refer to a version. */
  public String label() {
    return promptName + ":" + number;
  }
}
