package io.promptune.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.ListPromptsResponse;
import io.promptune.api.v1.Prompt;
import io.promptune.api.v1.PromptRegistryGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fake registry served in this JVM (Netty on a free loopback port; the in-process transport is not in this
 * build's repository) shows what the client puts on the wire: the key header, the default deadline, and retries
 * of reads but not of writes after UNAVAILABLE.
 */
class PromptuneClientTest {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final List<String> authorization = new CopyOnWriteArrayList<>();
  private final AtomicInteger getPromptCalls = new AtomicInteger();
  private final AtomicInteger createPromptCalls = new AtomicInteger();
  private Server server;

  /** GetPrompt fails once with UNAVAILABLE, then answers; CreatePrompt always fails; ListPrompts takes 3 s. */
  private final class FakeRegistry extends PromptRegistryGrpc.PromptRegistryImplBase {
    @Override
    public void getPrompt(GetPromptRequest request, StreamObserver<Prompt> out) {
      if (getPromptCalls.incrementAndGet() == 1) {
        out.onError(Status.UNAVAILABLE.withDescription("starting up").asRuntimeException());
        return;
      }
      out.onNext(Prompt.newBuilder().setName(request.getName()).build());
      out.onCompleted();
    }

    @Override
    public void createPrompt(CreatePromptRequest request, StreamObserver<Prompt> out) {
      createPromptCalls.incrementAndGet();
      out.onError(Status.UNAVAILABLE.withDescription("lost").asRuntimeException());
    }

    @Override
    public void listPrompts(ListPromptsRequest request, StreamObserver<ListPromptsResponse> out) {
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.onNext(ListPromptsResponse.getDefaultInstance());
      out.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor headers = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h,
          ServerCallHandler<Q, R> next) {
        authorization.add(String.valueOf(h.get(AUTHORIZATION)));
        return next.startCall(call, h);
      }
    };
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(new FakeRegistry(), headers)).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private PromptuneClient client(Duration deadline) {
    return PromptuneClient.builder().target("127.0.0.1:" + server.getPort()).apiKey("test-key-123")
        .deadline(deadline).build();
  }

  @Test
  void sendsTheKeyAsBearerAndRetriesAReadAfterUnavailable() {
    try (PromptuneClient client = client(Duration.ofSeconds(10))) {
      Prompt p = client.registry().getPrompt(GetPromptRequest.newBuilder().setName("sentiment").build());
      assertEquals("sentiment", p.getName());
    }
    assertEquals(2, getPromptCalls.get(), "one UNAVAILABLE, then the retry");
    assertEquals(List.of("Bearer test-key-123", "Bearer test-key-123"), authorization);
  }

  @Test
  void aWriteIsNotRetried() {
    try (PromptuneClient client = client(Duration.ofSeconds(10))) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.registry()
          .createPrompt(CreatePromptRequest.newBuilder().setName("sentiment").build()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }
    assertEquals(1, createPromptCalls.get(), "CreatePrompt must not be repeated");
  }

  @Test
  void withoutRetriesAReadFailsAtOnce() {
    try (PromptuneClient client = PromptuneClient.builder().target("127.0.0.1:" + server.getPort())
        .apiKey("k").retries(false).build()) {
      assertThrows(StatusRuntimeException.class, () -> client.registry().getPrompt(GetPromptRequest.newBuilder()
          .setName("x").build()));
    }
    assertEquals(1, getPromptCalls.get());
  }

  @Test
  void theDefaultDeadlineAppliesAndACallsOwnWins() {
    try (PromptuneClient client = client(Duration.ofMillis(300))) {
      long start = System.nanoTime();
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.registry()
          .listPrompts(ListPromptsRequest.getDefaultInstance()));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
      assertTrue(ms < 2500, "the 300 ms default deadline ended the 3 s call, took " + ms + " ms");

      // A deadline the caller sets replaces the default: 10 s outlasts the 3 s call.
      ListPromptsResponse r = client.registry().withDeadlineAfter(10, TimeUnit.SECONDS)
          .listPrompts(ListPromptsRequest.getDefaultInstance());
      assertEquals(ListPromptsResponse.getDefaultInstance(), r);
    }
  }

  @Test
  void readsTheKeyFromAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("key");
    Files.writeString(file, "  from-file-key\n");
    try (PromptuneClient client = PromptuneClient.builder().target("127.0.0.1:" + server.getPort())
        .apiKeyFile(file).build()) {
      client.registry().getPrompt(GetPromptRequest.newBuilder().setName("a").build());
    }
    assertEquals("Bearer from-file-key", authorization.get(authorization.size() - 1));
  }

  @Test
  void refusesIncompleteSettings(@TempDir Path dir) throws Exception {
    assertThrows(IllegalStateException.class, () -> PromptuneClient.builder().apiKey("k").build());
    assertThrows(IllegalStateException.class, () -> PromptuneClient.builder().target("h:1").build());
    assertThrows(IllegalStateException.class, () -> PromptuneClient.builder().registryTarget("h:1").apiKey("k")
        .build());
    assertThrows(IllegalArgumentException.class, () -> PromptuneClient.builder().apiKey("has space"));
    assertThrows(IllegalArgumentException.class, () -> PromptuneClient.builder().deadline(Duration.ZERO));
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    assertThrows(IllegalArgumentException.class, () -> PromptuneClient.builder().apiKeyFile(empty));
    assertThrows(IllegalArgumentException.class, () -> PromptuneClient.builder().apiKeyFile(dir.resolve("none")));
  }
}
