package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status.Code;
import io.grpc.stub.MetadataUtils;
import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptRegistryGrpc.PromptRegistryBlockingStub;
import io.promptune.api.v1.PromptVersion;
import io.promptune.registry.RegistryTestSupport;
import io.promptune.testing.TestKeys;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The registry's gRPC plane as another team's client sees it: no credential, a wrong key or self-asserted identity
 * headers get nothing; keys act with their own name and role; audit records the authenticated principal.
 */
@QuarkusTest
class AuthenticationApiTest extends RegistryTestSupport {

  /** A user key plus forged identity headers claiming to be an admin called "mallory". */
  private PromptRegistryBlockingStub forging(String key) {
    Metadata forged = new CallerIdentity("mallory", Role.ADMIN).toMetadata();
    if (key != null) {
      forged.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    }
    return PromptRegistryGrpc.newBlockingStub(ClientInterceptors.intercept(channel,
        MetadataUtils.newAttachHeadersInterceptor(forged))).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void withoutAValidKeyEveryMethodIsUnauthenticated() {
    assertFails(Code.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
        () -> PromptRegistryGrpc.newBlockingStub(channel).listPrompts(ListPromptsRequest.getDefaultInstance()));
    assertFails(Code.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
        () -> forging(null).createPrompt(CreatePromptRequest.newBuilder().setName(uniqueName("forged"))
            .setTask("t").build()));
    assertFails(Code.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
        () -> withKey("not-a-key").listPrompts(ListPromptsRequest.getDefaultInstance()));
  }

  @Test
  void aViewerReadsButCannotPromoteWhateverHeadersItAdds() {
    forging(TestKeys.VIEWER).listPrompts(ListPromptsRequest.getDefaultInstance());
    String p = uniqueName("viewer");
    publish(p, 2, 4);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> forging(TestKeys.VIEWER).promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev")
            .setVersionNumber(1).build()));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> forging(TestKeys.VIEWER).createPrompt(CreatePromptRequest.newBuilder().setName(uniqueName("v"))
            .setTask("t").build()));
  }

  @Test
  void forgedMetadataCannotChangeOwnerCreatorOrAuditActor() {
    String p = uniqueName("owned");
    assertEquals("test-trainer", forging(TestKeys.TRAINER).createPrompt(CreatePromptRequest.newBuilder().setName(p)
        .setTask("t").build()).getOwner());
    PromptVersion v = forging(TestKeys.TRAINER).publishVersion(publishRequest(p, tensor(2, 4, 7)).build());
    assertEquals("test-trainer", v.getCreatedBy());
    PromotionResult r = forging(TestKeys.OPERATOR).promote(PromoteRequest.newBuilder().setPromptName(p)
        .setEnvironment("dev").setVersionNumber(1).setReason("reviewed").build());
    assertEquals("test-operator", r.getEvent().getActor());
    List<AuditEvent> events = system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(p).build())
        .getEventsList();
    assertEquals(List.of("test-operator", "test-trainer"),
        events.stream().map(AuditEvent::getActor).distinct().sorted().toList());
    // Naming somebody else as owner is an admin's act, whatever the headers say.
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> forging(TestKeys.TRAINER).createPrompt(CreatePromptRequest.newBuilder().setName(uniqueName("o"))
            .setTask("t").setOwner("mallory").build()));
  }

  @Test
  void aServicePrincipalForwardsTheEndUserItActsFor() {
    String p = uniqueName("fwd");
    assertEquals("alice", as("alice", Role.TRAINER).createPrompt(CreatePromptRequest.newBuilder().setName(p)
        .setTask("t").build()).getOwner());
  }
}
