package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.grpc.Status.Code;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.DeletePromotionGateRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GateCheck;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListPromotionGatesRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionGate;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptRegistryGrpc.PromptRegistryBlockingStub;
import io.promptune.api.v1.SetPromotionGateRequest;
import io.promptune.api.v1.SetPromotionGateResponse;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class GateApiTest extends RegistryTestSupport {

  private PromptRegistryBlockingStub admin() {
    return as("ada", Role.ADMIN);
  }

  private PromptRegistryBlockingStub operator() {
    return as("olga", Role.OPERATOR);
  }

  private PromotionResult promote(PromptRegistryBlockingStub stub, String prompt, String env, int number,
      boolean force) {
    return stub.promote(PromoteRequest.newBuilder().setPromptName(prompt).setEnvironment(env)
        .setVersionNumber(number).setForce(force).setReason("test").build());
  }

  private SetPromotionGateResponse setGate(String prompt, String name, String dataset, double threshold,
      double maxRegression) {
    return admin().setPromotionGate(SetPromotionGateRequest.newBuilder().setReason("quality bar")
        .setGate(PromotionGate.newBuilder().setEnvironment("prod").setName(name).setPromptName(prompt)
            .setDatasetId(dataset).setSplit("validation").setMetric("accuracy").setThreshold(threshold)
            .setMaxRegression(maxRegression)).build());
  }

  private void record(String ref, String dataset, double value) {
    system().recordEvaluation(EvaluationApiTest.eval(ref, dataset, value).build());
  }

  @Test
  void gateRefusesWithNumbersThenPassesAfterAnEvaluationAndAForcedOverrideIsAudited() {
    String p = uniqueName("gate");
    publish(p, 2, 4);
    publish(p, 2, 4);
    publish(p, 2, 4);
    SetPromotionGateResponse set = setGate(p, "sst2-accuracy", "ds-sst2", 0.85, 0.01);
    assertEquals("ada", set.getGate().getUpdatedBy());
    assertEquals(AuditAction.SET_PROMOTION_GATE, set.getEvent().getAction());
    assertEquals("sst2-accuracy", set.getEvent().getGate().getName());
    assertEquals("quality bar", set.getEvent().getReason());

    // v1 climbs to staging; prod has a gate and v1 has no evaluation yet.
    promote(operator(), p, "dev", 1, false);
    promote(operator(), p, "staging", 1, false);
    String msg = assertFails(Code.FAILED_PRECONDITION, ErrorReason.GATE_FAILED,
        () -> promote(operator(), p, "prod", 1, false));
    assertContains(msg, "sst2-accuracy");
    assertContains(msg, "no evaluation");
    record(p + ":1", "ds-sst2", 0.80);
    StatusRuntimeException low = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> promote(operator(), p, "prod", 1, false));
    msg = low.getStatus().getDescription();
    assertContains(msg, "0.8 is below the required 0.85");
    assertContains(msg, "required >= 0.85");
    Map<String, String> meta = ApiErrors.errorInfoOf(low).orElseThrow().getMetadataMap();
    assertEquals("sst2-accuracy", meta.get("gate"));
    assertEquals("0.85", meta.get("required"));
    assertEquals("0.8", meta.get("found"));

    // A better evaluation (the latest counts) lets it in; the event records the passed check.
    record(p + ":1", "ds-sst2", 0.90);
    PromotionResult ok = promote(operator(), p, "prod", 1, false);
    assertTrue(ok.getChanged());
    assertEquals(1, ok.getEvent().getGateChecksCount());
    GateCheck passed = ok.getEvent().getGateChecks(0);
    assertTrue(passed.getPassed());
    assertEquals(0.90, passed.getFound());
    assertFalse(passed.hasCurrent(), "prod held nothing before");

    // v2 is above the threshold but regresses from prod's 0.90 by 0.02 > 0.01.
    record(p + ":2", "ds-sst2", 0.88);
    promote(operator(), p, "dev", 2, false);
    promote(operator(), p, "staging", 2, false);
    msg = assertFails(Code.FAILED_PRECONDITION, ErrorReason.GATE_FAILED,
        () -> promote(operator(), p, "prod", 2, false));
    assertContains(msg, "worse than the current version's 0.9");
    assertContains(msg, "found 0.88");
    assertContains(msg, "prod's " + p + ":1 0.9");
    // A regression within the tolerance passes.
    record(p + ":2", "ds-sst2", 0.895);
    assertTrue(promote(operator(), p, "prod", 2, false).getChanged());

    // An admin forces v3 (no evaluation) past the gate: the event records the override and the skipped gate.
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED, () -> promote(operator(), p, "prod", 3, true));
    PromotionResult forced = promote(admin(), p, "prod", 3, true);
    assertTrue(forced.getEvent().getForced());
    GateCheck skipped = forced.getEvent().getGateChecks(0);
    assertFalse(skipped.getPassed());
    assertEquals("sst2-accuracy", skipped.getGateName());
    assertEquals(0.85, skipped.getThreshold());
    assertFalse(skipped.hasFound());
    assertEquals(0.895, skipped.getCurrent());
    assertContains(skipped.getFailure(), "no evaluation");
    List<AuditEvent> log = system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(p)
        .setEnvironment("prod").build()).getEventsList();
    assertEquals(forced.getEvent(), log.get(log.size() - 1), "the stored event keeps the gate checks");
    assertEquals(set.getEvent(), log.get(0));

    // Promoting what prod already holds is a no-op and skips the gates.
    assertFalse(promote(operator(), p, "prod", 3, false).getChanged());
  }

  @Test
  void gatesApplyByScopeAndAreEditedByAdminsOnly() {
    String p = uniqueName("gate-scope");
    String other = uniqueName("gate-other");
    publish(p, 2, 4);
    publish(other, 2, 4);
    PromotionGate.Builder gate = PromotionGate.newBuilder().setEnvironment("dev").setName(p + "-loss")
        .setPromptName(p).setDatasetId("ds").setSplit("validation").setMetric("loss").setThreshold(0.5)
        .setLowerIsBetter(true);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED, () -> operator().setPromotionGate(
        SetPromotionGateRequest.newBuilder().setGate(gate).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> admin().setPromotionGate(
        SetPromotionGateRequest.newBuilder().setGate(gate.clone().setMaxRegression(-1)).build()));
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> admin().setPromotionGate(
        SetPromotionGateRequest.newBuilder().setGate(gate.clone().setEnvironment("nowhere")).build()));
    admin().setPromotionGate(SetPromotionGateRequest.newBuilder().setGate(gate).build());

    // Another prompt is not gated in dev.
    assertTrue(promote(operator(), other, "dev", 1, false).getChanged());
    List<PromotionGate> mine = system().listPromotionGates(ListPromotionGatesRequest.newBuilder()
        .setEnvironment("dev").setPromptName(p).build()).getGatesList();
    assertEquals(List.of(p + "-loss"), mine.stream().map(PromotionGate::getName).toList());
    assertTrue(system().listPromotionGates(ListPromotionGatesRequest.newBuilder().setPromptName(other).build())
        .getGatesList().stream().noneMatch(g -> g.getName().equals(p + "-loss")));

    // Lower is better: 0.6 fails, 0.4 passes.
    system().recordEvaluation(EvaluationApiTest.eval(p + ":1", "ds", 0.6).setMetric("loss").build());
    assertContains(assertFails(Code.FAILED_PRECONDITION, ErrorReason.GATE_FAILED,
        () -> promote(operator(), p, "dev", 1, false)), "above the required 0.5");
    system().recordEvaluation(EvaluationApiTest.eval(p + ":1", "ds", 0.4).setMetric("loss").build());

    // Deleting is audited with the gate as it was; then nothing gates dev for p.
    var deleted = admin().deletePromotionGate(DeletePromotionGateRequest.newBuilder().setEnvironment("dev")
        .setName(p + "-loss").setReason("obsolete").build());
    assertEquals(AuditAction.DELETE_PROMOTION_GATE, deleted.getEvent().getAction());
    assertEquals(0.5, deleted.getEvent().getGate().getThreshold());
    assertTrue(deleted.getEvent().getGate().getLowerIsBetter());
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> admin().deletePromotionGate(
        DeletePromotionGateRequest.newBuilder().setEnvironment("dev").setName(p + "-loss").build()));
    PromotionResult r = promote(operator(), p, "dev", 1, false);
    assertEquals(0, r.getEvent().getGateChecksCount());
  }
}
