package io.promptune.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.Prompt;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptRegistryGrpc;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The interceptor in front of a real gRPC server (on a loopback port): who gets in, as whom, and what the refusals
 * say. The service echoes the caller it sees in the answer's owner field.
 */
class AuthInterceptorTest {

  private static final String VIEWER_KEY = "viewer-key";
  private static final String OPERATOR_KEY = "operator-key";
  private static final String SERVICE_KEY = "service-key";

  private Server server;
  private ManagedChannel channel;
  private final AuthEvents events = new AuthEvents();

  /** Echoes the current caller; GetPrompt has no rule in the policy below. */
  static final class EchoRegistry extends PromptRegistryGrpc.PromptRegistryImplBase {
    @Override
    public void listPrompts(ListPromptsRequest r, StreamObserver<io.promptune.api.v1.ListPromptsResponse> out) {
      CallerIdentity c = CallerContext.current();
      out.onNext(io.promptune.api.v1.ListPromptsResponse.newBuilder()
          .addPrompts(Prompt.newBuilder().setOwner(c.actor() + "/" + c.role())).build());
      out.onCompleted();
    }

    @Override
    public void promote(PromoteRequest r, StreamObserver<PromotionResult> out) {
      out.onNext(PromotionResult.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public void getPrompt(GetPromptRequest r, StreamObserver<Prompt> out) {
      out.onNext(Prompt.getDefaultInstance());
      out.onCompleted();
    }
  }

  static final class OkHealth extends HealthGrpc.HealthImplBase {
    @Override
    public void check(HealthCheckRequest r, StreamObserver<HealthCheckResponse> out) {
      out.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
      out.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    KeyStore keys = new KeyStore(List.of(
        "team-a:viewer:" + KeyHashing.sha256Hex(VIEWER_KEY),
        "ops:operator:" + KeyHashing.sha256Hex(OPERATOR_KEY),
        "svc-gateway:service:" + KeyHashing.sha256Hex(SERVICE_KEY)), List.of());
    AuthInterceptor auth = new AuthInterceptor();
    auth.authenticator = new Authenticator(keys, Map.of());
    auth.policy = AccessPolicy.builder()
        .require(PromptRegistryGrpc.getListPromptsMethod(), Role.VIEWER)
        .require(PromptRegistryGrpc.getPromoteMethod(), Role.OPERATOR)
        .build();
    auth.config = config(true);
    auth.events = events;
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(new EchoRegistry(), auth))
        .addService(ServerInterceptors.intercept(new OkHealth(), auth))
        .build().start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
        .build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private PromptRegistryGrpc.PromptRegistryBlockingStub stub() {
    return PromptRegistryGrpc.newBlockingStub(channel);
  }

  private static <S extends AbstractStub<S>> S with(S stub, String key, CallerIdentity forged) {
    Metadata m = forged == null ? new Metadata() : forged.toMetadata();
    if (key != null) {
      m.put(Authenticator.AUTHORIZATION, "Bearer " + key);
    }
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
  }

  private static String owner(PromptRegistryGrpc.PromptRegistryBlockingStub s) {
    return s.listPrompts(ListPromptsRequest.getDefaultInstance()).getPrompts(0).getOwner();
  }

  private static void assertRefused(Status.Code code, ErrorReason reason, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getMessage());
    assertEquals(Optional.of(reason), ApiErrors.reasonOf(e));
  }

  @Test
  void noCredentialOrAnUnknownKeyIsUnauthenticated() {
    assertRefused(Status.Code.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
        () -> owner(stub()));
    assertRefused(Status.Code.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
        () -> owner(with(stub(), "not-a-key", null)));
    // Forged identity without a key gets nothing either.
    assertRefused(Status.Code.UNAUTHENTICATED, ErrorReason.UNAUTHENTICATED,
        () -> owner(with(stub(), null, new CallerIdentity("root", Role.ADMIN))));
    assertEquals(2, events.failures(Authenticator.Failure.MISSING_CREDENTIAL));
    assertEquals(1, events.failures(Authenticator.Failure.UNKNOWN_KEY));
  }

  @Test
  void aUserIsWhoTheirKeySaysWhateverHeadersTheyAdd() {
    assertEquals("team-a/VIEWER", owner(with(stub(), VIEWER_KEY, null)));
    assertEquals("team-a/VIEWER", owner(with(stub(), VIEWER_KEY, new CallerIdentity("mallory", Role.ADMIN))));
    assertRefused(Status.Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> with(stub(), VIEWER_KEY, new CallerIdentity("mallory", Role.ADMIN))
            .promote(PromoteRequest.getDefaultInstance()));
    with(stub(), OPERATOR_KEY, null).promote(PromoteRequest.getDefaultInstance());
  }

  @Test
  void aServicePrincipalForwardsTheEndUser() {
    assertEquals("alice/OPERATOR", owner(with(stub(), SERVICE_KEY, new CallerIdentity("alice", Role.OPERATOR))));
    // Acting for a viewer, the service gets a viewer's rights, not its own.
    assertRefused(Status.Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> with(stub(), SERVICE_KEY, new CallerIdentity("bob", Role.VIEWER))
            .promote(PromoteRequest.getDefaultInstance()));
    // Acting for nobody, it is itself.
    assertEquals("svc-gateway/ADMIN", owner(with(stub(), SERVICE_KEY, null)));
  }

  @Test
  void aMethodWithoutARuleIsRefusedEvenToAdmins() {
    assertRefused(Status.Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> with(stub(), SERVICE_KEY, null).getPrompt(GetPromptRequest.getDefaultInstance()));
  }

  @Test
  void healthIsOpen() {
    assertEquals(HealthCheckResponse.ServingStatus.SERVING,
        HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus());
  }

  @Test
  void reflectionIsOpenUnlessConfiguredOff() throws Exception {
    for (boolean open : new boolean[] {true, false}) {
      AuthInterceptor auth = new AuthInterceptor();
      auth.authenticator = new Authenticator(new KeyStore(List.of(), List.of()), Map.of());
      auth.policy = AccessPolicy.builder().build();
      auth.config = config(open);
      auth.events = events;
      // A stand-in with reflection's method name: only the name matters to the interceptor.
      MethodDescriptor<byte[], byte[]> reflect = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
          .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
      Server s = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(ServerInterceptors.intercept(ServerServiceDefinition.builder("grpc.reflection.v1.ServerReflection")
              .addMethod(reflect, ServerCalls.asyncUnaryCall((req, out) -> {
                out.onNext(new byte[0]);
                out.onCompleted();
              })).build(), auth))
          .build().start();
      ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", s.getPort(),
          InsecureChannelCredentials.create()).build();
      try {
        if (open) {
          ClientCalls.blockingUnaryCall(ch, reflect, io.grpc.CallOptions.DEFAULT, new byte[0]);
        } else {
          StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
              () -> ClientCalls.blockingUnaryCall(ch, reflect, io.grpc.CallOptions.DEFAULT, new byte[0]));
          assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        }
      } finally {
        ch.shutdownNow();
        s.shutdownNow();
      }
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  @Test
  void theCoverageHelperNamesMethodsWithoutARule() {
    AccessPolicy partial = AccessPolicy.builder().require(PromptRegistryGrpc.getPromoteMethod(), Role.OPERATOR)
        .build();
    List<String> missing = partial.unruled(PromptRegistryGrpc.getServiceDescriptor());
    assertEquals(PromptRegistryGrpc.getServiceDescriptor().getMethods().size() - 1, missing.size());
    assertEquals(false, missing.contains("promptune.v1.PromptRegistry/Promote"));
  }

  static AuthConfig config(boolean reflectionOpen) {
    return new AuthConfig() {
      public Optional<List<String>> keys() {
        return Optional.empty();
      }

      public Optional<List<String>> keyFiles() {
        return Optional.empty();
      }

      public Optional<String> serviceKeyFile() {
        return Optional.empty();
      }

      public Optional<String> serviceKey() {
        return Optional.empty();
      }

      public boolean reflectionOpen() {
        return reflectionOpen;
      }

      public Map<String, CertificatePrincipal> certificatePrincipals() {
        return Map.of();
      }
    };
  }
}
