package io.promptune.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.Tensors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptRegistryGrpc.PromptRegistryBlockingStub;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.VersionSelector;
import io.promptune.testing.TestKeys;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;

/** A gRPC channel to the registry under test, stubs per caller, and builders for requests. */
public abstract class RegistryTestSupport {

  protected static final String FINGERPRINT = "sha256:base-model-a";

  protected ManagedChannel channel;

  @BeforeEach
  void openChannel() {
    int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(64 << 20)
        .build();
  }

  @AfterEach
  void closeChannel() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** The test service principal acting for itself (every right), as Promptune's own processes do. */
  protected PromptRegistryBlockingStub system() {
    return PromptRegistryGrpc.newBlockingStub(channel).withInterceptors(TestKeys.bearer(TestKeys.SERVICE))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** The test service principal forwarding {@code actor} with {@code role}, as the gateway does for a user. */
  protected PromptRegistryBlockingStub as(String actor, Role role) {
    return PromptRegistryGrpc.newBlockingStub(channel)
        .withInterceptors(TestKeys.serviceActingFor(new CallerIdentity(actor, role)))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** A user principal calling with its own key ("test-<role>-key"), forwarding nothing. */
  protected PromptRegistryBlockingStub withKey(String key) {
    return PromptRegistryGrpc.newBlockingStub(channel).withInterceptors(TestKeys.bearer(key))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** A prompt name no other test uses. */
  protected static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  protected static Tensor tensor(int length, int dModel, long seed) {
    Random random = new Random(seed);
    float[] values = new float[length * dModel];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat() - 0.5f;
    }
    return Tensors.float32(values, length, dModel);
  }

  protected static PublishVersionRequest.Builder publishRequest(String prompt, Tensor tensor) {
    return PublishVersionRequest.newBuilder().setPromptName(prompt).setTensor(tensor).setBaseModelId("t5-small")
        .setBaseModelFingerprint(FINGERPRINT).setTokenizerFingerprint("sha256:tok").setInitMethod(
            InitMethod.RANDOM_UNIFORM).setCreatePromptIfMissing(true).setTask("test");
  }

  protected PromptVersion publish(String prompt, int length, int dModel) {
    return system().publishVersion(publishRequest(prompt, tensor(length, dModel, prompt.hashCode())).build());
  }

  protected static VersionSelector ref(String ref) {
    return VersionSelector.newBuilder().setRef(ref).build();
  }

  protected static VersionSelector id(String id) {
    return VersionSelector.newBuilder().setVersionId(id).build();
  }

  /** Runs {@code call}, expects it to fail with {@code code} and {@code reason}; returns the error's message. */
  protected static String assertFails(Status.Code code, ErrorReason reason, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(reason, ApiErrors.reasonOf(e).orElse(null), e.getStatus().toString());
    String message = e.getStatus().getDescription();
    assertTrue(message != null && !message.isBlank(), "error without a message");
    return message;
  }

  protected static void assertContains(String haystack, String needle) {
    assertTrue(haystack.contains(needle), "expected \"" + needle + "\" in: " + haystack);
  }
}
