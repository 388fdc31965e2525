package io.promptune.gateway.testing;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.Alias;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.Environment;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetLineageRequest;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.Lineage;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListAliasesRequest;
import io.promptune.api.v1.ListAliasesResponse;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListAuditEventsResponse;
import io.promptune.api.v1.ListEnvironmentsRequest;
import io.promptune.api.v1.ListEnvironmentsResponse;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.ListPromptsResponse;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.Prompt;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RollbackRequest;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** A registry that knows one prompt, "sentiment", with versions 1 and 2 (2 initialised from 1). */
public class FakeRegistry extends PromptRegistryGrpc.PromptRegistryImplBase {

  public static final String V1 = "11111111-1111-1111-1111-111111111111";
  public static final String V2 = "22222222-2222-2222-2222-222222222222";

  public final AtomicReference<PromoteRequest> lastPromote = new AtomicReference<>();
  public final AtomicReference<io.promptune.api.v1.CreateEnsembleRequest> lastEnsemble = new AtomicReference<>();
  public final AtomicReference<io.promptune.api.v1.SetPromotionGateRequest> lastGate = new AtomicReference<>();

  /** Answers an ensemble version 3 of the prompt with one member per selector (numbered 1, 2, ...). */
  @Override
  public void createEnsemble(io.promptune.api.v1.CreateEnsembleRequest request, StreamObserver<PromptVersion> out) {
    lastEnsemble.set(request);
    var e = io.promptune.api.v1.Ensemble.newBuilder().setRule(request.getRule());
    for (int i = 0; i < request.getMembersCount(); i++) {
      e.addMembers(io.promptune.api.v1.EnsembleMember.newBuilder().setVersionId(i == 0 ? V1 : V2)
          .setPromptName("sentiment").setNumber(i + 1).setLength(20 + i).setDModel(64).setSha256("ab"));
    }
    out.onNext(PromptVersion.newBuilder().setId("33333333-3333-3333-3333-333333333333")
        .setPromptName(request.getPromptName()).setNumber(3).setDModel(64).setSha256("cd")
        .setKind(io.promptune.api.v1.VersionKind.ENSEMBLE).setEnsemble(e).build());
    out.onCompleted();
  }

  /** Echoes the gate with an audit event. */
  @Override
  public void setPromotionGate(io.promptune.api.v1.SetPromotionGateRequest request,
      StreamObserver<io.promptune.api.v1.SetPromotionGateResponse> out) {
    lastGate.set(request);
    var gate = request.getGate().toBuilder().setUpdatedBy("test-admin").build();
    out.onNext(io.promptune.api.v1.SetPromotionGateResponse.newBuilder().setGate(gate)
        .setEvent(AuditEvent.newBuilder().setId(7).setAction(AuditAction.SET_PROMOTION_GATE).setActor("test-admin")
            .setEnvironment(gate.getEnvironment()).setPromptName(gate.getPromptName()).setGate(gate)
            .setReason(request.getReason()))
        .build());
    out.onCompleted();
  }

  static Prompt prompt() {
    return Prompt.newBuilder().setName("sentiment").setTask("sentiment").setOwner("alice").setLatestVersion(2)
        .setCreateTime(Timestamp.newBuilder().setSeconds(1_700_000_000)).build();
  }

  static PromptVersion version(int n) {
    PromptVersion.Builder b = PromptVersion.newBuilder().setId(n == 1 ? V1 : V2).setPromptName("sentiment")
        .setNumber(n).setLength(20).setDModel(64).setSha256("ab").putMetrics("accuracy", n == 1 ? 0.5 : 0.9);
    if (n == 2) {
      b.addParents(LineageEdge.newBuilder().setChildVersionId(V2).setParentVersionId(V1)
          .setRelation(LineageRelation.INITIALIZED_FROM));
    }
    return b.build();
  }

  private static <T> boolean known(String name, StreamObserver<T> out) {
    if (!"sentiment".equals(name)) {
      out.onError(ApiErrors.error(Status.Code.NOT_FOUND, ErrorReason.NOT_FOUND, "prompt '" + name
          + "' does not exist", Map.of("prompt", name)));
      return false;
    }
    return true;
  }

  @Override
  public void listPrompts(ListPromptsRequest request, StreamObserver<ListPromptsResponse> out) {
    out.onNext(ListPromptsResponse.newBuilder().addPrompts(prompt()).build());
    out.onCompleted();
  }

  @Override
  public void getPrompt(GetPromptRequest request, StreamObserver<Prompt> out) {
    if (known(request.getName(), out)) {
      out.onNext(prompt());
      out.onCompleted();
    }
  }

  @Override
  public void createPrompt(CreatePromptRequest request, StreamObserver<Prompt> out) {
    if ("sentiment".equals(request.getName())) {
      out.onError(ApiErrors.error(Status.Code.ALREADY_EXISTS, ErrorReason.ALREADY_EXISTS,
          "prompt 'sentiment' already exists"));
      return;
    }
    out.onNext(Prompt.newBuilder().setName(request.getName()).setTask(request.getTask()).build());
    out.onCompleted();
  }

  @Override
  public void listVersions(ListVersionsRequest request, StreamObserver<ListVersionsResponse> out) {
    if (known(request.getPromptName(), out)) {
      out.onNext(ListVersionsResponse.newBuilder().addVersions(version(2)).addVersions(version(1)).build());
      out.onCompleted();
    }
  }

  @Override
  public void getVersion(GetVersionRequest request, StreamObserver<PromptVersion> out) {
    var v = request.getVersion();
    String ref = v.hasRef() ? v.getRef() : v.hasNumbered() ? "sentiment:" + v.getNumbered().getNumber()
        : v.getVersionId();
    if (InspectFixtures.getVersion(ref, out)) {
      return;
    }
    if (ref.equals(V1) || ref.equals("sentiment:1")) {
      out.onNext(version(1));
    } else if (ref.equals(V2) || ref.equals("sentiment:2") || ref.equals("sentiment@prod")) {
      out.onNext(version(2));
    } else {
      out.onError(ApiErrors.notFound("no version " + ref));
      return;
    }
    out.onCompleted();
  }

  @Override
  public void getLineage(GetLineageRequest request, StreamObserver<Lineage> out) {
    out.onNext(Lineage.newBuilder().addVersions(version(2)).addVersions(version(1))
        .addAllEdges(version(2).getParentsList()).build());
    out.onCompleted();
  }

  @Override
  public void listEnvironments(ListEnvironmentsRequest request, StreamObserver<ListEnvironmentsResponse> out) {
    out.onNext(ListEnvironmentsResponse.newBuilder()
        .addEnvironments(Environment.newBuilder().setName("dev").setPosition(0))
        .addEnvironments(Environment.newBuilder().setName("staging").setPosition(1))
        .addEnvironments(Environment.newBuilder().setName("prod").setPosition(2)).build());
    out.onCompleted();
  }

  @Override
  public void listAliases(ListAliasesRequest request, StreamObserver<ListAliasesResponse> out) {
    if (known(request.getPromptName(), out)) {
      out.onNext(ListAliasesResponse.newBuilder().addAliases(Alias.newBuilder().setPromptName("sentiment")
          .setEnvironment("dev").setVersionId(V2).setVersionNumber(2)).build());
      out.onCompleted();
    }
  }

  @Override
  public void promote(PromoteRequest request, StreamObserver<PromotionResult> out) {
    lastPromote.set(request);
    if (!known(request.getPromptName(), out)) {
      return;
    }
    if (request.getEnvironment().equals("prod") && !request.getForce()) {
      out.onError(ApiErrors.error(Status.Code.FAILED_PRECONDITION, ErrorReason.ENVIRONMENT_ORDER,
          "version 2 is not in staging yet; promote it to staging first", Map.of("environment", "staging")));
      return;
    }
    if (request.hasExpectedCurrentVersionId() && !request.getExpectedCurrentVersionId().equals(V1)) {
      out.onError(ApiErrors.error(Status.Code.ABORTED, ErrorReason.CONFLICT, "staging points at another version"));
      return;
    }
    Alias alias = Alias.newBuilder().setPromptName("sentiment").setEnvironment(request.getEnvironment())
        .setVersionId(V2).setVersionNumber(2).build();
    if (request.getEnvironment().equals("dev")) {
      // dev holds version 2 already (see listAliases): the registry answers a no-op, without an event.
      out.onNext(PromotionResult.newBuilder().setAlias(alias).setChanged(false).build());
      out.onCompleted();
      return;
    }
    out.onNext(PromotionResult.newBuilder().setAlias(alias).setChanged(true)
        .setEvent(AuditEvent.newBuilder().setId(7).setAction(AuditAction.PROMOTE).setPromptName("sentiment")
            .setEnvironment(request.getEnvironment()).setToVersionId(V2).setReason(request.getReason())
            .setForced(request.getForce()))
        .build());
    out.onCompleted();
  }

  @Override
  public void rollback(RollbackRequest request, StreamObserver<PromotionResult> out) {
    if (!known(request.getPromptName(), out)) {
      return;
    }
    out.onError(ApiErrors.error(Status.Code.FAILED_PRECONDITION, ErrorReason.NOTHING_TO_ROLL_BACK,
        "nothing was promoted to " + request.getEnvironment() + " before the current version"));
  }

  @Override
  public void listAuditEvents(ListAuditEventsRequest request, StreamObserver<ListAuditEventsResponse> out) {
    out.onNext(ListAuditEventsResponse.newBuilder().addEvents(AuditEvent.newBuilder().setId(1)
        .setAction(AuditAction.PUBLISH_VERSION).setActor("alice").setPromptName("sentiment")).build());
    out.onCompleted();
  }
}
