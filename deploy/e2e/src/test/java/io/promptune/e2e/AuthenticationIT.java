package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.health.v1.HealthGrpc;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gRPC plane as another team's service meets it, across real processes: a black-box client without a
 * credential, with a wrong key, or with forged identity metadata gets nothing from any method of any service but
 * health (and reflection); keys act as who they are; audit records the authenticated principal.
 */
@ExtendWith(SharedDeployment.class)
class AuthenticationIT {

  static Deployment deployment;

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  @BeforeAll
  static void up(Deployment shared) {
    deployment = shared;
  }

  private static final Map<Integer, ServiceDescriptor> SERVICES = Map.of(
      9101, ModelRuntimeGrpc.getServiceDescriptor(),
      9102, PromptRegistryGrpc.getServiceDescriptor(),
      9103, TrainerGrpc.getServiceDescriptor());

  /** Calls {@code method} with an empty request, whatever its streaming kind, and returns how it closed. */
  private static Status call(Channel channel, MethodDescriptor<?, ?> method) throws Exception {
    @SuppressWarnings("unchecked")
    MethodDescriptor<Object, Object> m = (MethodDescriptor<Object, Object>) method;
    Object request = ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller()).getMessagePrototype();
    ClientCall<Object, Object> c = channel.newCall(m, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    c.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    c.request(1);
    c.sendMessage(request);
    c.halfClose();
    return closed.get(30, TimeUnit.SECONDS);
  }

  private static Channel with(Channel c, String key, boolean forgeAdmin) {
    Metadata m = new Metadata();
    if (key != null) {
      m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    }
    if (forgeAdmin) {
      m.put(Metadata.Key.of("promptune-actor", Metadata.ASCII_STRING_MARSHALLER), "mallory");
      m.put(Metadata.Key.of("promptune-role", Metadata.ASCII_STRING_MARSHALLER), "admin");
    }
    return ClientInterceptors.intercept(c, MetadataUtils.newAttachHeadersInterceptor(m));
  }

  @Test
  void everyMethodOfEveryServiceRefusesCallersWithoutAValidKey() throws Exception {
    List<String> wrong = new ArrayList<>();
    for (var e : SERVICES.entrySet()) {
      ManagedChannel raw = deployment.rawChannel(e.getKey());
      for (MethodDescriptor<?, ?> m : e.getValue().getMethods()) {
        for (String key : new String[] {null, "pt_not-a-key"}) {
          for (boolean forge : new boolean[] {false, true}) {
            Status s = call(with(raw, key, forge), m);
            if (s.getCode() != Status.Code.UNAUTHENTICATED) {
              wrong.add(m.getFullMethodName() + " key=" + key + " forged=" + forge + " -> " + s);
            }
          }
        }
      }
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void healthAndReflectionStayOpen() {
    for (int port : new int[] {9101, 9102, 9103, 9104}) {
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", deployment.grpcPort(port)).usePlaintext()
          .build();
      try {
        assertEquals("SERVING", HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus().name());
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void aViewerListsButCannotPromoteAnOperatorCanAndAuditNamesTheKey() throws Exception {
    String viewer = deployment.createKey("team-a-viewer", "viewer");
    String operator = deployment.createKey("team-a-ops", "operator");
    String trainer = deployment.createKey("team-a-trainer", "trainer");
    ModelInfo model = deployment.runtime().getModelInfo(GetModelInfoRequest.getDefaultInstance());
    Channel registry = deployment.rawChannel(9102);
    // Keys are picked up by the running services within seconds of being written.
    awaitAccepted(() -> PromptRegistryGrpc.newBlockingStub(with(registry, viewer, true))
        .listPrompts(ListPromptsRequest.getDefaultInstance()));

    String prompt = "auth-e2e-" + UUID.randomUUID().toString().substring(0, 8);
    var asTrainer = PromptRegistryGrpc.newBlockingStub(with(registry, trainer, true));
    assertEquals("team-a-trainer", asTrainer.createPrompt(CreatePromptRequest.newBuilder().setName(prompt)
        .setTask("auth").build()).getOwner());
    PromptVersion v = asTrainer.publishVersion(PublishVersionRequest.newBuilder().setPromptName(prompt)
        .setTensor(Tensors.float32(new float[2 * model.getDModel()], 2, model.getDModel()))
        .setBaseModelId(model.getModelId()).setBaseModelFingerprint(model.getFingerprint())
        .setTokenizerFingerprint(model.getTokenizerFingerprint()).build());
    assertEquals("team-a-trainer", v.getCreatedBy());

    PromoteRequest toDev = PromoteRequest.newBuilder().setPromptName(prompt).setEnvironment("dev")
        .setVersionNumber(v.getNumber()).setReason("e2e").build();
    StatusRuntimeException denied = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> PromptRegistryGrpc.newBlockingStub(with(registry, viewer, true)).promote(toDev));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    assertEquals(Optional.of(ErrorReason.PERMISSION_DENIED), ApiErrors.reasonOf(denied));

    var promoted = PromptRegistryGrpc.newBlockingStub(with(registry, operator, true)).promote(toDev);
    assertEquals("team-a-ops", promoted.getEvent().getActor());
    var events = deployment.registry().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(prompt)
        .build()).getEventsList();
    assertTrue(events.stream().noneMatch(e -> e.getActor().equals("mallory")), events.toString());
    assertEquals(List.of("team-a-ops", "team-a-trainer"),
        events.stream().map(e -> e.getActor()).distinct().sorted().toList());
  }

  private static void awaitAccepted(Runnable call) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        call.run();
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAUTHENTICATED || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(250);
      }
    }
  }
}
