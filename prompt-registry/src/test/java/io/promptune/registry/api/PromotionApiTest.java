package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.Alias;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.Environment;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ListAliasesRequest;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListAuditEventsResponse;
import io.promptune.api.v1.ListEnvironmentsRequest;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RollbackRequest;
import io.promptune.api.v1.PromptRegistryGrpc.PromptRegistryBlockingStub;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class PromotionApiTest extends RegistryTestSupport {

  private PromptRegistryBlockingStub operator() {
    return as("olga", Role.OPERATOR);
  }

  private PromotionResult promote(PromptRegistryBlockingStub stub, String prompt, String env, int number) {
    return stub.promote(PromoteRequest.newBuilder().setPromptName(prompt).setEnvironment(env)
        .setVersionNumber(number).setReason("test").build());
  }

  private PromotionResult rollback(String prompt, String env) {
    return operator().rollback(RollbackRequest.newBuilder().setPromptName(prompt).setEnvironment(env)
        .setReason("bad metrics").build());
  }

  private int current(String prompt, String env) {
    return system().getVersion(GetVersionRequest.newBuilder().setVersion(ref(prompt + "@" + env))
        .setOmitTensor(true).build()).getNumber();
  }

  @Test
  void environmentsAreTheConfiguredOrder() {
    List<Environment> envs = system().listEnvironments(ListEnvironmentsRequest.getDefaultInstance())
        .getEnvironmentsList();
    assertEquals(List.of("dev", "staging", "prod"), envs.stream().map(Environment::getName).toList());
    assertEquals(List.of(0, 1, 2), envs.stream().map(Environment::getPosition).toList());
  }

  @Test
  void promotionClimbsTheEnvironmentsInOrder() {
    String p = uniqueName("climb");
    PromptVersion v1 = publish(p, 2, 4);
    String msg = assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENVIRONMENT_ORDER,
        () -> promote(operator(), p, "staging", 1));
    assertContains(msg, "dev");
    PromotionResult dev = promote(operator(), p, "dev", 1);
    assertEquals(v1.getId(), dev.getAlias().getVersionId());
    assertEquals("olga", dev.getAlias().getUpdatedBy());
    assertTrue(dev.getChanged());
    assertTrue(dev.hasEvent());
    assertEquals(AuditAction.PROMOTE, dev.getEvent().getAction());
    assertEquals("", dev.getEvent().getFromVersionId());
    assertEquals(v1.getId(), dev.getEvent().getToVersionId());
    assertEquals("test", dev.getEvent().getReason());
    assertFalse(dev.getEvent().getForced());
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENVIRONMENT_ORDER, () -> promote(operator(), p, "prod", 1));
    promote(operator(), p, "staging", 1);
    promote(operator(), p, "prod", 1);

    // v2 reaches dev; staging still needs it to be in dev *now*, so promoting v1 again elsewhere is not enough.
    publish(p, 2, 4);
    promote(operator(), p, "dev", 2);
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENVIRONMENT_ORDER, () -> promote(operator(), p, "prod", 2));
    List<Alias> aliases = system().listAliases(ListAliasesRequest.newBuilder().setPromptName(p).build())
        .getAliasesList();
    assertEquals(List.of("dev", "staging", "prod"), aliases.stream().map(Alias::getEnvironment).toList());
    assertEquals(List.of(2, 1, 1), aliases.stream().map(Alias::getVersionNumber).toList());
  }

  @Test
  void forcingNeedsAnAdminAndIsAudited() {
    String p = uniqueName("force");
    PromptVersion v1 = publish(p, 2, 4);
    PromoteRequest forced = PromoteRequest.newBuilder().setPromptName(p).setEnvironment("prod")
        .setVersionId(v1.getId()).setForce(true).setReason("hotfix").build();
    assertContains(assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> operator().promote(forced)), "admin");
    PromotionResult result = as("ada", Role.ADMIN).promote(forced);
    assertTrue(result.getEvent().getForced());
    assertEquals("ada", result.getEvent().getActor());
    assertEquals("hotfix", result.getEvent().getReason());
    assertEquals(1, current(p, "prod"));

    List<AuditEvent> log = system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(p)
        .setEnvironment("prod").build()).getEventsList();
    assertEquals(1, log.size());
    assertEquals(result.getEvent(), log.get(0));
  }

  @Test
  void rolesAreChecked() {
    String p = uniqueName("roles");
    publish(p, 1, 4);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> promote(as("tom", Role.TRAINER), p, "dev", 1));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> promote(as("val", Role.VIEWER), p, "dev", 1));
    promote(operator(), p, "dev", 1);
    publish(p, 1, 4);
    promote(operator(), p, "dev", 2);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED, () -> as("tom", Role.TRAINER)
        .rollback(RollbackRequest.newBuilder().setPromptName(p).setEnvironment("dev").build()));
    // A service principal acting for nobody is itself, with every right.
    assertEquals("test-service", promote(system(), p, "staging", 2).getEvent().getActor());
  }

  @Test
  void incompatibleVersionsNeedForce() {
    String p = uniqueName("compat");
    publish(p, 2, 4);
    promote(operator(), p, "dev", 1);
    // Different d_model.
    system().publishVersion(publishRequest(p, tensor(2, 8, 1)).build());
    assertContains(assertFails(Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH,
        () -> promote(operator(), p, "dev", 2)), "d_model");
    // Different base model.
    system().publishVersion(publishRequest(p, tensor(2, 4, 1)).setBaseModelFingerprint("sha256:other").build());
    assertContains(assertFails(Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH,
        () -> promote(operator(), p, "dev", 3)), "sha256:other");
    PromotionResult forced = as("ada", Role.ADMIN).promote(PromoteRequest.newBuilder().setPromptName(p)
        .setEnvironment("dev").setVersionNumber(3).setForce(true).build());
    assertTrue(forced.getEvent().getForced());
    assertEquals(3, current(p, "dev"));
  }

  @Test
  void expectedCurrentVersionGuardsAgainstLostUpdates() {
    String p = uniqueName("occ");
    PromptVersion v1 = publish(p, 1, 4);
    PromptVersion v2 = publish(p, 1, 4);
    PromoteRequest.Builder first = PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev")
        .setVersionId(v1.getId()).setExpectedCurrentVersionId("");
    operator().promote(first.build());
    // The same "nothing there yet" expectation now fails: v1 is there.
    String msg = assertFails(Code.ABORTED, ErrorReason.CONFLICT, () -> operator().promote(first.setVersionId(
        v2.getId()).build()));
    assertContains(msg, v1.getId());
    assertEquals(1, current(p, "dev"));
    PromotionResult ok = operator().promote(first.setExpectedCurrentVersionId(v1.getId()).build());
    assertEquals(v1.getId(), ok.getEvent().getFromVersionId());
    assertFails(Code.ABORTED, ErrorReason.CONFLICT, () -> operator().rollback(RollbackRequest.newBuilder()
        .setPromptName(p).setEnvironment("dev").setExpectedCurrentVersionId(v1.getId()).build()));
  }

  @Test
  void promotingTheCurrentVersionAgainChangesNothingAndSaysSo() {
    String p = uniqueName("again");
    PromptVersion v1 = publish(p, 1, 4);
    PromotionResult first = promote(operator(), p, "dev", 1);
    assertTrue(first.getChanged());
    // Another caller asks for the same version: a no-op, answered as one, without the first caller's event.
    PromotionResult again = promote(as("oscar", Role.OPERATOR), p, "dev", 1);
    assertFalse(again.getChanged());
    assertFalse(again.hasEvent(), again.toString());
    assertEquals(v1.getId(), again.getAlias().getVersionId());
    assertEquals(1, again.getAlias().getVersionNumber());
    assertEquals("olga", again.getAlias().getUpdatedBy(), "the alias still shows who last moved it");
    // By id, and with a matching expectation, it is the same no-op.
    PromotionResult byId = operator().promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev")
        .setVersionId(v1.getId()).setExpectedCurrentVersionId(v1.getId()).build());
    assertFalse(byId.getChanged());
    assertFalse(byId.hasEvent());
    List<AuditEvent> log = system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(p)
        .setEnvironment("dev").build()).getEventsList();
    assertEquals(List.of(first.getEvent()), log, "only the real move is audited");
  }

  @Test
  void rollbackWalksBackThroughThePromotionHistory() {
    String p = uniqueName("rollback");
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.NOTHING_TO_ROLL_BACK, () -> {
      publish(p, 1, 4);
      rollback(p, "dev");
    });
    promote(operator(), p, "dev", 1);
    assertContains(assertFails(Code.FAILED_PRECONDITION, ErrorReason.NOTHING_TO_ROLL_BACK,
        () -> rollback(p, "dev")), "no earlier version");
    publish(p, 1, 4);
    publish(p, 1, 4);
    promote(operator(), p, "dev", 2);
    promote(operator(), p, "dev", 3);

    PromotionResult back = rollback(p, "dev");
    assertEquals(2, back.getAlias().getVersionNumber());
    assertTrue(back.getChanged());
    assertEquals(AuditAction.ROLLBACK, back.getEvent().getAction());
    assertEquals("bad metrics", back.getEvent().getReason());
    assertEquals("olga", back.getEvent().getActor());
    assertEquals(2, current(p, "dev"));
    // A second rollback keeps going back, it does not undo the first.
    assertEquals(1, rollback(p, "dev").getAlias().getVersionNumber());
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.NOTHING_TO_ROLL_BACK, () -> rollback(p, "dev"));
    // A new promotion starts a new branch of history on top of what is there.
    promote(operator(), p, "dev", 3);
    assertEquals(1, rollback(p, "dev").getAlias().getVersionNumber());

    List<String> actions = new ArrayList<>();
    system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(p).setEnvironment("dev").build())
        .getEventsList().forEach(e -> actions.add(e.getAction() + ":" + e.getToVersionId().isEmpty()));
    assertEquals(List.of("PROMOTE:false", "PROMOTE:false", "PROMOTE:false", "ROLLBACK:false", "ROLLBACK:false",
        "PROMOTE:false", "ROLLBACK:false"), actions);
  }

  @Test
  void auditLogIsOrderedFilteredAndPaged() {
    String p = uniqueName("audit");
    publish(p, 1, 4);
    promote(operator(), p, "dev", 1);
    promote(operator(), p, "staging", 1);
    List<AuditEvent> all = new ArrayList<>();
    String token = "";
    do {
      ListAuditEventsResponse page = system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(p)
          .setPage(PageRequest.newBuilder().setPageSize(1).setPageToken(token)).build());
      all.addAll(page.getEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertEquals(List.of(AuditAction.CREATE_PROMPT, AuditAction.PUBLISH_VERSION, AuditAction.PROMOTE,
        AuditAction.PROMOTE), all.stream().map(AuditEvent::getAction).toList());
    for (int i = 1; i < all.size(); i++) {
      assertTrue(all.get(i).getId() > all.get(i - 1).getId());
      assertTrue(!toInstant(all.get(i)).isBefore(toInstant(all.get(i - 1))));
    }
    assertEquals(List.of("staging"), system().listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setPromptName(p).setEnvironment("staging").build()).getEventsList().stream()
        .map(AuditEvent::getEnvironment).toList());
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().listAuditEvents(
        ListAuditEventsRequest.newBuilder().setPromptName("no-such-prompt-a").build()));
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().listAuditEvents(
        ListAuditEventsRequest.newBuilder().setEnvironment("never-configured").build()));
  }

  @Test
  void badPromotionRequests() {
    String p = uniqueName("badpromo");
    PromptVersion v = publish(p, 1, 4);
    String other = uniqueName("other");
    PromptVersion foreign = publish(other, 1, 4);
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> promote(operator(), p, "uat", 1)),
        "dev, staging, prod");
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> promote(operator(), "nope-nope", "dev", 1));
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> promote(operator(), p, "dev", 9)),
        "no version 9");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> operator().promote(
        PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev").setVersionId(foreign.getId()).build())),
        other);
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> operator().promote(
        PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev").build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> operator().promote(
        PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev").setVersionId("xyz").build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> promote(operator(), p, "bad env", 1));
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().listAliases(
        ListAliasesRequest.newBuilder().setPromptName("nope-nope").build()));
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> operator().rollback(
        RollbackRequest.newBuilder().setPromptName(p).setEnvironment("uat").build()));
    assertEquals(0, system().listAliases(ListAliasesRequest.newBuilder().setPromptName(p).build())
        .getAliasesCount(), v.getId() + " was never promoted");
  }

  private static java.time.Instant toInstant(AuditEvent e) {
    return java.time.Instant.ofEpochSecond(e.getTime().getSeconds(), e.getTime().getNanos());
  }
}
