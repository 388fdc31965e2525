package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ExportPeftRequest;
import io.promptune.api.v1.GetLineageRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.LineageDirection;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RollbackRequest;
import io.promptune.api.v1.VersionKind;
import io.promptune.api.v1.VersionSelector;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class EnsembleApiTest extends RegistryTestSupport {

  @jakarta.inject.Inject
  javax.sql.DataSource dataSource;

  private static CreateEnsembleRequest.Builder ensemble(String prompt, PromptVersion... members) {
    var b = CreateEnsembleRequest.newBuilder().setPromptName(prompt).setCreatePromptIfMissing(true).setTask("test");
    for (PromptVersion m : members) {
      b.addMembers(id(m.getId()));
    }
    return b;
  }

  private PromptVersion get(String ref, boolean tensor) {
    return system().getVersion(GetVersionRequest.newBuilder().setVersion(ref(ref)).setOmitTensor(!tensor).build());
  }

  @Test
  void createsANumberedEnsembleWithMembersLineageAndAudit() throws Exception {
    String a = uniqueName("ens-a");
    String b = uniqueName("ens-b");
    PromptVersion a1 = publish(a, 3, 4);
    // Mixed prompt lengths are allowed: the members only share the model (d_model and fingerprint).
    PromptVersion b1 = publish(b, 5, 4);
    String e = uniqueName("ens");
    publish(e, 2, 4);
    PromptVersion created = as("tina", Role.TRAINER).createEnsemble(ensemble(e, a1, b1)
        .setRule(CombinationRule.MEAN_LOG_PROB).putMetrics("dev_accuracy", 0.91).setTrainingJobId("job-7").build());
    assertEquals(2, created.getNumber(), "numbered under its prompt like any version");
    assertEquals(VersionKind.ENSEMBLE, created.getKind());
    assertEquals(0, created.getLength());
    assertEquals(4, created.getDModel());
    assertEquals(FINGERPRINT, created.getBaseModelFingerprint());
    assertFalse(created.hasTensor());
    assertEquals("tina", created.getCreatedBy());
    assertEquals(CombinationRule.MEAN_LOG_PROB, created.getEnsemble().getRule());
    assertEquals(List.of(a1.getId(), b1.getId()), created.getEnsemble().getMembersList().stream()
        .map(EnsembleMember::getVersionId).toList());
    assertEquals(List.of(3, 5), created.getEnsemble().getMembersList().stream().map(EnsembleMember::getLength)
        .toList());
    assertEquals(a, created.getEnsemble().getMembers(0).getPromptName());
    assertEquals(1, created.getEnsemble().getMembers(0).getNumber());
    assertEquals(a1.getSha256(), created.getEnsemble().getMembers(0).getSha256());
    assertFalse(created.getEnsemble().getMembers(0).hasTensor());
    // sha256 is the documented content digest.
    String text = "promptune-ensemble-v1\nMEAN_LOG_PROB\n" + a1.getSha256() + "\n" + b1.getSha256() + "\n";
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
        text.getBytes(StandardCharsets.UTF_8))), created.getSha256());
    // Lineage: every member is a parent, relation ENSEMBLE_MEMBER_OF.
    assertEquals(List.of(a1.getId(), b1.getId()), created.getParentsList().stream()
        .map(LineageEdge::getParentVersionId).toList());
    assertTrue(created.getParentsList().stream().allMatch(x -> x.getRelation()
        == LineageRelation.ENSEMBLE_MEMBER_OF));
    var down = system().getLineage(GetLineageRequest.newBuilder().setVersion(id(a1.getId()))
        .setDirection(LineageDirection.DOWN).build());
    assertTrue(down.getVersionsList().stream().anyMatch(v -> v.getId().equals(created.getId())));

    // GetVersion with tensors carries each member's tensor; without, none.
    PromptVersion full = get(e + ":2", true);
    assertFalse(full.hasTensor());
    assertEquals(a1.getId(), full.getEnsemble().getMembers(0).getVersionId());
    assertEquals(List.of(3L, 4L), full.getEnsemble().getMembers(0).getTensor().getShapeList());
    assertEquals(tensor(3, 4, a.hashCode()).getData(), full.getEnsemble().getMembers(0).getTensor().getData());
    assertEquals(tensor(5, 4, b.hashCode()).getData(), full.getEnsemble().getMembers(1).getTensor().getData());
    assertFalse(get(e + ":2", false).getEnsemble().getMembers(0).hasTensor());
    assertEquals(VersionKind.SINGLE_PROMPT, get(e + ":1", false).getKind());
    // Listings show the members (without tensors, even with include_tensor).
    var listed = system().listVersions(ListVersionsRequest.newBuilder().setPromptName(e).setIncludeTensor(true)
        .build()).getVersionsList();
    assertEquals(2, listed.get(0).getEnsemble().getMembersCount());
    assertFalse(listed.get(0).hasTensor());
    assertTrue(listed.get(1).hasTensor());

    List<AuditEvent> log = system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(e).build())
        .getEventsList();
    assertEquals(AuditAction.CREATE_ENSEMBLE, log.get(log.size() - 1).getAction());
    assertEquals(created.getId(), log.get(log.size() - 1).getToVersionId());
  }

  @Test
  void anEnsembleIsPromotedAndRolledBackLikeAnyVersion() {
    String p = uniqueName("ens-prod");
    PromptVersion v1 = publish(p, 2, 4);
    PromptVersion v2 = publish(p, 3, 4);
    PromptVersion ens = system().createEnsemble(ensemble(p, v1, v2).build());
    assertEquals(3, ens.getNumber());
    var admin = as("ada", Role.ADMIN);
    admin.promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment("prod").setVersionNumber(1)
        .setForce(true).build());
    for (String env : List.of("dev", "staging", "prod")) {
      PromotionResult r = as("olga", Role.OPERATOR).promote(PromoteRequest.newBuilder().setPromptName(p)
          .setEnvironment(env).setVersionNumber(3).build());
      assertTrue(r.getChanged());
    }
    PromptVersion prod = get(p + "@prod", true);
    assertEquals(ens.getId(), prod.getId());
    assertEquals(VersionKind.ENSEMBLE, prod.getKind());
    assertEquals(2, prod.getEnsemble().getMembersCount());
    assertTrue(prod.getEnsemble().getMembers(1).hasTensor());
    as("olga", Role.OPERATOR).rollback(RollbackRequest.newBuilder().setPromptName(p).setEnvironment("prod").build());
    assertEquals(v1.getId(), get(p + "@prod", false).getId());
  }

  @Test
  void membersMustShareTheModelExistAndNotBeEnsembles() {
    String p = uniqueName("ens-bad");
    PromptVersion v1 = publish(p, 2, 4);
    PromptVersion otherModel = system().publishVersion(publishRequest(p, tensor(2, 4, 9))
        .setBaseModelFingerprint("sha256:base-model-b").build());
    PromptVersion otherWidth = system().publishVersion(publishRequest(p, tensor(2, 8, 9)).build());

    String msg = assertFails(Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH,
        () -> system().createEnsemble(ensemble(p, v1, otherModel).build()));
    assertContains(msg, "members[1]");
    assertContains(msg, "sha256:base-model-b");
    assertContains(msg, FINGERPRINT);
    assertContains(assertFails(Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH,
        () -> system().createEnsemble(ensemble(p, v1, otherWidth).build())), "d_model 8");

    msg = assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().createEnsemble(ensemble(p, v1)
        .addMembers(ref(p + ":99")).build()));
    assertContains(msg, "members[1]");
    assertContains(msg, "no version 99");
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().createEnsemble(ensemble(p, v1)
        .addMembers(id("00000000-0000-0000-0000-000000000000")).build()));

    PromptVersion v4 = publish(p, 2, 4);
    PromptVersion ens = system().createEnsemble(ensemble(p, v1, v4).build());
    assertEquals(CombinationRule.MAJORITY_VOTE, ens.getEnsemble().getRule(), "unspecified means majority vote");
    msg = assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENSEMBLE_NOT_SUPPORTED,
        () -> system().createEnsemble(ensemble(p, v1, ens).build()));
    assertContains(msg, "cannot be nested");
    assertContains(msg, p + ":1, " + p + ":4");

    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().createEnsemble(ensemble(p, v1).build())), "2 to 32 members");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().createEnsemble(ensemble(p, v1, v4).addMembers(ref(p + ":1")).build())), "appear once");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> as("val", Role.VIEWER).createEnsemble(ensemble(p, v1, v4).build()));
    // Nothing was written by the refusals: the prompt's versions are 1..5 (the one ensemble included).
    assertEquals(6, system().publishVersion(publishRequest(p, tensor(2, 4, 3)).build()).getNumber());
  }

  @Test
  void theDatabaseKeepsMembersImmutableAndRefusesNesting() {
    String p = uniqueName("ens-db");
    PromptVersion v1 = publish(p, 2, 4);
    PromptVersion v2 = publish(p, 2, 4);
    PromptVersion ens = system().createEnsemble(ensemble(p, v1, v2).build());
    PromptVersion ens2 = system().createEnsemble(ensemble(p, v2, v1).build());
    assertRejected("UPDATE registry.ensemble_members SET member_version_id = '" + v2.getId()
        + "' WHERE ensemble_version_id = '" + ens.getId() + "' AND position = 0", "append-only");
    assertRejected("DELETE FROM registry.ensemble_members WHERE ensemble_version_id = '" + ens.getId() + "'",
        "immutable ensemble");
    // By hand, an ensemble as a member of another is refused too.
    assertRejected("INSERT INTO registry.ensemble_members VALUES ('" + ens.getId() + "', 2, '" + ens2.getId()
        + "')", "cannot be members of ensembles");
    assertEquals(List.of(v1.getId(), v2.getId()), get(ens.getId(), false).getEnsemble().getMembersList().stream()
        .map(EnsembleMember::getVersionId).toList());
  }

  private void assertRejected(String sql, String fragment) {
    java.sql.SQLException e = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class, () -> {
      try (java.sql.Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement()) {
        st.execute(sql);
      }
    }, sql);
    assertContains(e.getMessage(), fragment);
  }

  @Test
  void peftExportOfAnEnsembleIsRefusedSayingWhy() {
    String p = uniqueName("ens-peft");
    PromptVersion v1 = publish(p, 2, 4);
    PromptVersion v2 = publish(p, 2, 4);
    system().createEnsemble(ensemble(p, v1, v2).build());
    String msg = assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENSEMBLE_NOT_SUPPORTED,
        () -> system().exportPeft(ExportPeftRequest.newBuilder().setVersion(ref(p + ":3")).build()));
    assertContains(msg, "ensemble");
    assertContains(msg, "export each member");
    // The members themselves export.
    assertFalse(system().exportPeft(ExportPeftRequest.newBuilder().setVersion(VersionSelector.newBuilder()
        .setVersionId(v1.getId())).build()).getAdapterModelSafetensors().isEmpty());
  }
}
