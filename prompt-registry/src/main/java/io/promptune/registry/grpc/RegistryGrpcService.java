package io.promptune.registry.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.DeletePromotionGateRequest;
import io.promptune.api.v1.DeletePromotionGateResponse;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.ListEvaluationsRequest;
import io.promptune.api.v1.ListEvaluationsResponse;
import io.promptune.api.v1.ListPromotionGatesRequest;
import io.promptune.api.v1.ListPromotionGatesResponse;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.SetPromotionGateRequest;
import io.promptune.api.v1.SetPromotionGateResponse;
import io.promptune.api.v1.ExportPeftRequest;
import io.promptune.api.v1.GetLineageRequest;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ImportPeftRequest;
import io.promptune.api.v1.Lineage;
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
import io.promptune.api.v1.PeftAdapter;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.Prompt;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RollbackRequest;
import io.promptune.registry.domain.Page;
import io.promptune.registry.domain.PromotionOutcome;
import io.promptune.registry.peft.PeftService;
import io.promptune.common.auth.CallerContext;
import io.promptune.common.grpc.StatusPolicy;
import io.promptune.registry.service.AuditService;
import io.promptune.registry.service.EnsembleService;
import io.promptune.registry.service.EnvironmentService;
import io.promptune.registry.service.EvaluationService;
import io.promptune.registry.service.GateService;
import io.promptune.registry.service.LineageService;
import io.promptune.registry.service.PromotionService;
import io.promptune.registry.service.PromptService;
import io.promptune.registry.service.VersionService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

/**
 * The PromptRegistry gRPC surface: maps requests to the services and answers (or errors) back. Every method runs
 * on a worker thread (JDBC blocks) and answers exactly once.
 */
@GrpcService
@Blocking
public class RegistryGrpcService extends PromptRegistryGrpc.PromptRegistryImplBase {

  private static final StatusPolicy STATUS = new StatusPolicy("registry");

  @Inject
  PromptService prompts;

  @Inject
  VersionService versions;

  @Inject
  LineageService lineage;

  @Inject
  EnvironmentService environments;

  @Inject
  PromotionService promotions;

  @Inject
  AuditService audit;

  @Inject
  PeftService peft;

  @Inject
  EnsembleService ensembles;

  @Inject
  EvaluationService evaluations;

  @Inject
  GateService gates;

  @Override
  public void createPrompt(CreatePromptRequest r, StreamObserver<Prompt> out) {
    STATUS.answer(out, "CreatePrompt", () -> ToProto.prompt(prompts.create(CallerContext.current(), r.getName(),
        r.getTask(), r.getDescription(), r.getOwner())));
  }

  @Override
  public void getPrompt(GetPromptRequest r, StreamObserver<Prompt> out) {
    STATUS.answer(out, "GetPrompt", () -> ToProto.prompt(prompts.get(r.getName())));
  }

  @Override
  public void listPrompts(ListPromptsRequest r, StreamObserver<ListPromptsResponse> out) {
    STATUS.answer(out, "ListPrompts", () -> {
      Page<io.promptune.registry.domain.Prompt> page = prompts.list(r.getTask(), r.getPage().getPageSize(),
          r.getPage().getPageToken());
      var b = ListPromptsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.items().forEach(p -> b.addPrompts(ToProto.prompt(p)));
      return b.build();
    });
  }

  @Override
  public void publishVersion(PublishVersionRequest r, StreamObserver<PromptVersion> out) {
    STATUS.answer(out, "PublishVersion", () -> ToProto.version(versions.publish(CallerContext.current(),
        FromProto.newVersion(r), AuditAction.PUBLISH_VERSION)));
  }

  @Override
  public void getVersion(GetVersionRequest r, StreamObserver<PromptVersion> out) {
    STATUS.answer(out, "GetVersion", () -> ToProto.version(versions.get(FromProto.selector(r.getVersion(), "version"),
        !r.getOmitTensor())));
  }

  @Override
  public void listVersions(ListVersionsRequest r, StreamObserver<ListVersionsResponse> out) {
    STATUS.answer(out, "ListVersions", () -> {
      Page<io.promptune.registry.domain.Version> page = versions.list(r.getPromptName(), r.getPage().getPageSize(),
          r.getPage().getPageToken(), r.getIncludeTensor());
      var b = ListVersionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.items().forEach(v -> b.addVersions(ToProto.version(v)));
      return b.build();
    });
  }

  @Override
  public void getLineage(GetLineageRequest r, StreamObserver<Lineage> out) {
    STATUS.answer(out, "GetLineage", () -> {
      LineageService.Graph graph = lineage.walk(FromProto.selector(r.getVersion(), "version"),
          FromProto.direction(r.getDirection()), r.getMaxDepth());
      var b = Lineage.newBuilder();
      graph.versions().forEach(v -> b.addVersions(ToProto.version(v)));
      graph.edges().forEach(e -> b.addEdges(ToProto.edge(e)));
      return b.build();
    });
  }

  @Override
  public void listEnvironments(ListEnvironmentsRequest r, StreamObserver<ListEnvironmentsResponse> out) {
    STATUS.answer(out, "ListEnvironments", () -> {
      var b = ListEnvironmentsResponse.newBuilder();
      environments.list().forEach(e -> b.addEnvironments(ToProto.environment(e)));
      return b.build();
    });
  }

  @Override
  public void listAliases(ListAliasesRequest r, StreamObserver<ListAliasesResponse> out) {
    STATUS.answer(out, "ListAliases", () -> {
      var b = ListAliasesResponse.newBuilder();
      environments.aliases(r.getPromptName()).forEach(a -> b.addAliases(ToProto.alias(a)));
      return b.build();
    });
  }

  @Override
  public void promote(PromoteRequest r, StreamObserver<PromotionResult> out) {
    STATUS.answer(out, "Promote", () -> result(promotions.promote(CallerContext.current(), r.getPromptName(),
        r.getEnvironment(), FromProto.target(r),
        FromProto.expectation(r.hasExpectedCurrentVersionId(), r.getExpectedCurrentVersionId()), r.getForce(),
        r.getReason())));
  }

  @Override
  public void rollback(RollbackRequest r, StreamObserver<PromotionResult> out) {
    STATUS.answer(out, "Rollback", () -> result(promotions.rollback(CallerContext.current(), r.getPromptName(),
        r.getEnvironment(), FromProto.expectation(r.hasExpectedCurrentVersionId(), r.getExpectedCurrentVersionId()),
        r.getReason())));
  }

  @Override
  public void listAuditEvents(ListAuditEventsRequest r, StreamObserver<ListAuditEventsResponse> out) {
    STATUS.answer(out, "ListAuditEvents", () -> {
      Page<io.promptune.registry.domain.AuditEvent> page = audit.list(r.getPromptName(), r.getEnvironment(),
          r.getPage().getPageSize(), r.getPage().getPageToken());
      var b = ListAuditEventsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.items().forEach(e -> b.addEvents(ToProto.event(e)));
      return b.build();
    });
  }

  @Override
  public void exportPeft(ExportPeftRequest r, StreamObserver<PeftAdapter> out) {
    STATUS.answer(out, "ExportPeft", () -> {
      var adapter = peft.export(FromProto.selector(r.getVersion(), "version"));
      return PeftAdapter.newBuilder()
          .setAdapterConfigJson(UnsafeByteOperations.unsafeWrap(adapter.adapterConfigJson()))
          .setAdapterModelSafetensors(UnsafeByteOperations.unsafeWrap(adapter.adapterModelSafetensors())).build();
    });
  }

  @Override
  public void importPeft(ImportPeftRequest r, StreamObserver<PromptVersion> out) {
    STATUS.answer(out, "ImportPeft", () -> ToProto.version(peft.importAdapter(CallerContext.current(),
        FromProto.importRequest(r))));
  }

  @Override
  public void createEnsemble(CreateEnsembleRequest r, StreamObserver<PromptVersion> out) {
    STATUS.answer(out, "CreateEnsemble", () -> ToProto.version(ensembles.create(CallerContext.current(),
        FromProto.newEnsemble(r))));
  }

  @Override
  public void recordEvaluation(RecordEvaluationRequest r, StreamObserver<Evaluation> out) {
    STATUS.answer(out, "RecordEvaluation", () -> ToProto.evaluation(evaluations.record(CallerContext.current(),
        FromProto.newEvaluation(r))));
  }

  @Override
  public void listEvaluations(ListEvaluationsRequest r, StreamObserver<ListEvaluationsResponse> out) {
    STATUS.answer(out, "ListEvaluations", () -> {
      Page<io.promptune.registry.domain.Evaluation> page = evaluations.list(FromProto.selector(r.getVersion(),
          "version"), r.getDatasetId(), r.getSplit(), r.getMetric(), r.getPage().getPageSize(),
          r.getPage().getPageToken());
      var b = ListEvaluationsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.items().forEach(e -> b.addEvaluations(ToProto.evaluation(e)));
      return b.build();
    });
  }

  @Override
  public void setPromotionGate(SetPromotionGateRequest r, StreamObserver<SetPromotionGateResponse> out) {
    STATUS.answer(out, "SetPromotionGate", () -> {
      GateService.Change change = gates.set(CallerContext.current(), FromProto.gate(r), r.getReason());
      return SetPromotionGateResponse.newBuilder().setGate(ToProto.gate(change.gate()))
          .setEvent(ToProto.event(change.event())).build();
    });
  }

  @Override
  public void listPromotionGates(ListPromotionGatesRequest r, StreamObserver<ListPromotionGatesResponse> out) {
    STATUS.answer(out, "ListPromotionGates", () -> {
      var b = ListPromotionGatesResponse.newBuilder();
      gates.list(r.getEnvironment(), r.getPromptName()).forEach(g -> b.addGates(ToProto.gate(g)));
      return b.build();
    });
  }

  @Override
  public void deletePromotionGate(DeletePromotionGateRequest r, StreamObserver<DeletePromotionGateResponse> out) {
    STATUS.answer(out, "DeletePromotionGate", () -> DeletePromotionGateResponse.newBuilder().setEvent(ToProto.event(
        gates.delete(CallerContext.current(), r.getEnvironment(), r.getName(), r.getReason()).event())).build());
  }

  private static PromotionResult result(PromotionOutcome o) {
    var b = PromotionResult.newBuilder().setAlias(ToProto.alias(o.alias())).setChanged(o.changed());
    o.event().ifPresent(e -> b.setEvent(ToProto.event(e)));
    return b.build();
  }
}
