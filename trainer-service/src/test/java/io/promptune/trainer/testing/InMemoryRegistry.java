package io.promptune.trainer.testing;

import io.grpc.Status;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity;
import io.promptune.api.Tensors;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.Ensemble;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.VersionKind;
import io.promptune.trainer.clients.RegistryClient;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The registry calls the trainer makes, over a list in memory: versions numbered per prompt, lookups by id,
 * "name:n" and "name@env" (every environment alias points at the newest version here). For trainer tests only;
 * the real registry is its own service.
 */
public final class InMemoryRegistry implements RegistryClient {

  private final List<PromptVersion> versions = new ArrayList<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger publishCalls = new AtomicInteger();
  private final AtomicInteger createEnsembleCalls = new AtomicInteger();
  private final List<Evaluation> evaluations = new ArrayList<>();
  private final List<RecordEvaluationRequest> recordCalls = new ArrayList<>();

  public synchronized void clear() {
    versions.clear();
    evaluations.clear();
    recordCalls.clear();
  }

  /** Every RecordEvaluation request received, in order (also the idempotent repeats). */
  public synchronized List<RecordEvaluationRequest> recordCalls() {
    return List.copyOf(recordCalls);
  }

  public synchronized List<Evaluation> evaluations() {
    return List.copyOf(evaluations);
  }

  /** The next {@code n} calls fail with UNAVAILABLE. */
  public void failNext(int n) {
    failures.set(n);
  }

  public int publishCalls() {
    return publishCalls.get();
  }

  private void maybeFail() {
    if (failures.get() > 0 && failures.getAndDecrement() > 0) {
      throw Status.UNAVAILABLE.withDescription("injected").asRuntimeException();
    }
  }

  public synchronized List<PromptVersion> versions() {
    return List.copyOf(versions);
  }

  /** Adds a version directly (the source of a FROM_VERSION init). */
  public synchronized PromptVersion put(String prompt, float[] values, int length, int dModel) {
    return publishVersion(PublishVersionRequest.newBuilder().setPromptName(prompt)
        .setTensor(Tensors.float32(values, length, dModel)).setCreatePromptIfMissing(true).build(),
        CallerIdentity.SYSTEM);
  }

  @Override
  public synchronized PromptVersion getVersion(GetVersionRequest request, CallerIdentity caller) {
    maybeFail();
    var sel = request.getVersion();
    String ref = switch (sel.getSelectorCase()) {
      case VERSION_ID -> sel.getVersionId();
      case REF -> sel.getRef();
      case NUMBERED -> sel.getNumbered().getPromptName() + ":" + sel.getNumbered().getNumber();
      case ENVIRONMENT -> sel.getEnvironment().getPromptName() + "@" + sel.getEnvironment().getEnvironment();
      default -> "";
    };
    for (int i = versions.size() - 1; i >= 0; i--) {
      PromptVersion v = versions.get(i);
      if (v.getId().equals(ref) || (v.getPromptName() + ":" + v.getNumber()).equals(ref)
          || (ref.startsWith(v.getPromptName() + "@"))) {
        return request.getOmitTensor() ? v.toBuilder().clearTensor().build() : v;
      }
    }
    throw ApiErrors.notFound("no version " + ref);
  }

  @Override
  public synchronized PromptVersion publishVersion(PublishVersionRequest r, CallerIdentity caller) {
    maybeFail();
    publishCalls.incrementAndGet();
    float[] values = Tensors.toFloats(r.getTensor(), "tensor");
    int number = (int) versions.stream().filter(v -> v.getPromptName().equals(r.getPromptName())).count() + 1;
    if (number == 1 && !r.getCreatePromptIfMissing()) {
      throw ApiErrors.error(Status.Code.NOT_FOUND, ErrorReason.NOT_FOUND, "no prompt " + r.getPromptName());
    }
    String id = UUID.randomUUID().toString();
    PromptVersion.Builder v = PromptVersion.newBuilder().setId(id).setPromptName(r.getPromptName())
        .setNumber(number).setTensor(r.getTensor()).setLength((int) r.getTensor().getShape(0))
        .setDModel((int) r.getTensor().getShape(1)).setSha256(sha256(r.getTensor().getData().toByteArray()))
        .setBaseModelId(r.getBaseModelId()).setBaseModelFingerprint(r.getBaseModelFingerprint())
        .setTokenizerFingerprint(r.getTokenizerFingerprint()).setInitMethod(r.getInitMethod())
        .setTrainingJobId(r.getTrainingJobId()).putAllHyperparameters(r.getHyperparametersMap())
        .putAllMetrics(r.getMetricsMap()).setCreatedBy(caller.actor());
    for (LineageEdge e : r.getParentsList()) {
      v.addParents(e.toBuilder().setChildVersionId(id));
    }
    if (values.length == 0) {
      throw ApiErrors.invalid(ErrorReason.INVALID_TENSOR, "empty");
    }
    PromptVersion built = v.build();
    versions.add(built);
    return built;
  }

  @Override
  public synchronized ListVersionsResponse listVersions(ListVersionsRequest request, CallerIdentity caller) {
    maybeFail();
    ListVersionsResponse.Builder out = ListVersionsResponse.newBuilder();
    boolean any = false;
    for (int i = versions.size() - 1; i >= 0; i--) {
      if (versions.get(i).getPromptName().equals(request.getPromptName())) {
        any = true;
        out.addVersions(versions.get(i).toBuilder().clearTensor());
      }
    }
    if (!any) {
      throw ApiErrors.notFound("no prompt " + request.getPromptName());
    }
    return out.build();
  }

  public int createEnsembleCalls() {
    return createEnsembleCalls.get();
  }

  @Override
  public synchronized PromptVersion createEnsemble(CreateEnsembleRequest r, CallerIdentity caller) {
    maybeFail();
    createEnsembleCalls.incrementAndGet();
    if (r.getMembersCount() < 2 || r.getMembersCount() > 32) {
      throw ApiErrors.invalid(ErrorReason.INVALID_ARGUMENT, "2 to 32 members");
    }
    List<PromptVersion> members = new ArrayList<>();
    StringBuilder digest = new StringBuilder("promptune-ensemble-v1\n").append(r.getRule().name()).append('\n');
    Ensemble.Builder ens = Ensemble.newBuilder().setRule(r.getRule());
    for (var sel : r.getMembersList()) {
      PromptVersion m = getVersion(GetVersionRequest.newBuilder().setVersion(sel).setOmitTensor(true).build(), caller);
      if (members.stream().anyMatch(x -> x.getId().equals(m.getId()))) {
        throw ApiErrors.invalid(ErrorReason.INVALID_ARGUMENT, "member " + m.getId() + " twice");
      }
      members.add(m);
      digest.append(m.getSha256()).append('\n');
      ens.addMembers(EnsembleMember.newBuilder().setVersionId(m.getId()).setPromptName(m.getPromptName())
          .setNumber(m.getNumber()));
    }
    int number = (int) versions.stream().filter(v -> v.getPromptName().equals(r.getPromptName())).count() + 1;
    String id = UUID.randomUUID().toString();
    PromptVersion v = PromptVersion.newBuilder().setId(id).setPromptName(r.getPromptName()).setNumber(number)
        .setKind(VersionKind.ENSEMBLE).setEnsemble(ens).setDModel(members.get(0).getDModel())
        .setSha256(sha256(digest.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .setBaseModelFingerprint(members.get(0).getBaseModelFingerprint()).setTrainingJobId(r.getTrainingJobId())
        .putAllHyperparameters(r.getHyperparametersMap()).putAllMetrics(r.getMetricsMap())
        .setCreatedBy(caller.actor()).build();
    versions.add(v);
    return v;
  }

  @Override
  public synchronized Evaluation recordEvaluation(RecordEvaluationRequest r, CallerIdentity caller) {
    maybeFail();
    recordCalls.add(r);
    PromptVersion v = getVersion(GetVersionRequest.newBuilder().setVersion(r.getVersion()).setOmitTensor(true)
        .build(), caller);
    for (Evaluation e : evaluations) {
      if (!r.getJobId().isEmpty() && e.getVersionId().equals(v.getId()) && e.getJobId().equals(r.getJobId())
          && e.getDatasetId().equals(r.getDatasetId()) && e.getSplit().equals(r.getSplit())
          && e.getMetric().equals(r.getMetric())) {
        if (e.getValue() != r.getValue() || e.getExamples() != r.getExamples()) {
          throw ApiErrors.error(Status.Code.ALREADY_EXISTS, ErrorReason.ALREADY_EXISTS, "recorded differently");
        }
        return e;
      }
    }
    Evaluation e = Evaluation.newBuilder().setId(evaluations.size() + 1).setVersionId(v.getId())
        .setPromptName(v.getPromptName()).setVersionNumber(v.getNumber()).setDatasetId(r.getDatasetId())
        .setSplit(r.getSplit()).setMetric(r.getMetric()).setValue(r.getValue()).setExamples(r.getExamples())
        .setJobId(r.getJobId()).setCreatedBy(caller.actor()).build();
    evaluations.add(e);
    return e;
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
