package io.promptune.runtime.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ModelRuntimeGrpc;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Drain: the running call completes, new calls get UNAVAILABLE, drain returns once nothing is in flight. */
class RuntimeDrainTest {

  @Test
  void runningCallCompletesNewCallsAreRefused() throws Exception {
    RuntimeMetrics metrics = new RuntimeMetrics();
    metrics.registry = new SimpleMeterRegistry();
    metrics.init();
    RuntimeCallInterceptor calls = new RuntimeCallInterceptor();
    calls.metrics = metrics;
    RuntimeDrain drain = new RuntimeDrain();
    drain.calls = calls;
    drain.metrics = metrics;
    drain.drainTimeout = Duration.ofSeconds(20);

    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    var impl = new ModelRuntimeGrpc.ModelRuntimeImplBase() {
      @Override
      public void forwardBackward(ForwardBackwardRequest request, StreamObserver<ForwardBackwardResponse> out) {
        entered.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        out.onNext(ForwardBackwardResponse.newBuilder().setLoss(1.5f).build());
        out.onCompleted();
      }

      @Override
      public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> out) {
        out.onNext(ModelInfo.getDefaultInstance());
        out.onCompleted();
      }
    };
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(impl, calls)).build().start();
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(),
        InsecureChannelCredentials.create()).build();
    try {
      var stub = ModelRuntimeGrpc.newBlockingStub(ch);
      CompletableFuture<ForwardBackwardResponse> running = CompletableFuture.supplyAsync(
          () -> stub.withDeadlineAfter(30, TimeUnit.SECONDS).forwardBackward(ForwardBackwardRequest.getDefaultInstance()), threads);
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      assertEquals(1, calls.inflight());

      CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(drain::drain, threads);
      long t0 = System.nanoTime();
      while (!drain.draining() && System.nanoTime() - t0 < 5_000_000_000L) {
        Thread.sleep(5);
      }
      Thread.sleep(50);
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> stub.getModelInfo(GetModelInfoRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
      assertFalse(drained.isDone(), "drain waits for the running call");

      release.countDown();
      assertEquals(1.5f, running.get(10, TimeUnit.SECONDS).getLoss());
      assertTrue(drained.get(10, TimeUnit.SECONDS));
      assertEquals(0, calls.inflight());
      assertEquals(1.0, metrics.registry.find("promptune.runtime.draining").gauge().value());
      assertEquals(1.0, metrics.registry.find("promptune.runtime.rpc.calls").tags("rpc", "GetModelInfo", "code",
          "UNAVAILABLE").counter().count());
      assertEquals(1.0, metrics.registry.find("promptune.runtime.rpc.calls").tags("rpc", "ForwardBackward", "code",
          "OK").counter().count());
    } finally {
      ch.shutdownNow();
      server.shutdownNow();
      threads.shutdownNow();
    }
  }
}
