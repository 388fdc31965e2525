package io.promptune.common.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The runtime pool over real gRPC servers on loopback: round-robin over the replicas that serve the pool's model,
 * none to a replica with another fingerprint or one whose health says NOT_SERVING, and calls that hit a dead
 * replica retried on a live one.
 */
class RuntimePoolResolverTest {

  /** A stand-in replica: answers GetModelInfo with its fingerprint and counts Tokenize calls. */
  static final class Replica {
    final String fingerprint;
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger modelInfoCalls = new AtomicInteger();
    final HealthStatusManager health = new HealthStatusManager();
    final Server server;

    Replica(String fingerprint) throws Exception {
      this.fingerprint = fingerprint;
      health.setStatus(RuntimePool.HEALTH_SERVICE, ServingStatus.SERVING);
      server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(health.getHealthService())
          .addService(new ModelRuntimeGrpc.ModelRuntimeImplBase() {
            @Override
            public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> out) {
              modelInfoCalls.incrementAndGet();
              out.onNext(ModelInfo.newBuilder().setFingerprint(fingerprint).build());
              out.onCompleted();
            }

            @Override
            public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> out) {
              calls.incrementAndGet();
              out.onNext(TokenizeResponse.getDefaultInstance());
              out.onCompleted();
            }
          }).build().start();
    }

    String target() {
      return "127.0.0.1:" + server.getPort();
    }
  }

  private final List<Replica> replicas = new ArrayList<>();
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Replica r : replicas) {
      r.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private Replica replica(String fingerprint) throws Exception {
    Replica r = new Replica(fingerprint);
    replicas.add(r);
    return r;
  }

  private ManagedChannel pool(Optional<String> expected, Replica... members) {
    List<String> targets = java.util.Arrays.stream(members).map(Replica::target).toList();
    RuntimePoolResolver.Settings settings = new RuntimePoolResolver.Settings(targets, expected, Duration.ofSeconds(30),
        Duration.ofMillis(200), Duration.ofSeconds(2), Optional::empty);
    channel = Grpc.newChannelBuilder("dns:///runtime:9101", InsecureChannelCredentials.create())
        .nameResolverFactory(new RuntimePoolResolver.Provider("dns", settings))
        .defaultServiceConfig(RuntimePool.serviceConfig(3))
        .enableRetry()
        .build();
    return channel;
  }

  private void calls(int n) {
    ModelRuntimeGrpc.ModelRuntimeBlockingStub stub = ModelRuntimeGrpc.newBlockingStub(channel).withWaitForReady();
    for (int i = 0; i < n; i++) {
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).tokenize(TokenizeRequest.getDefaultInstance());
    }
  }

  private void reset() {
    replicas.forEach(r -> r.calls.set(0));
  }

  private String counts() {
    return replicas.stream().map(r -> r.fingerprint + ":" + r.calls.get()).collect(Collectors.joining(" "));
  }

  @Test
  void roundRobinOverTheReplicasOfThePoolModelAndNoneToAReplicaOfAnotherModel() throws Exception {
    Replica a1 = replica("model-a");
    Replica a2 = replica("model-a");
    Replica b = replica("model-b");
    pool(Optional.empty(), a1, b, a2);
    calls(40);
    assertEquals(0, b.calls.get(), "the replica of another model stays out of rotation: " + counts());
    assertEquals(40, a1.calls.get() + a2.calls.get(), counts());
    assertTrue(a1.calls.get() >= 10 && a2.calls.get() >= 10, "both replicas of the model take calls: " + counts());
  }

  @Test
  void aReplicaOfAnotherModelIsAskedAgainAtTheRefreshIntervalNotAtEveryProbeRetry() throws Exception {
    Replica a1 = replica("model-a");
    Replica a2 = replica("model-a");
    Replica b = replica("model-b");
    pool(Optional.empty(), a1, b, a2); // refresh every 30 s, probe retry every 200 ms
    calls(4);
    int before = b.modelInfoCalls.get();
    Thread.sleep(1500); // seven probe-retry intervals
    assertEquals(before, b.modelInfoCalls.get(), "every replica answered: the next look is the 30 s refresh");
    assertEquals(0, b.calls.get(), counts());
  }

  @Test
  void aReplicaThatStopsAnsweringKeepsItsVoteSoTheReplicaOfAnotherModelStaysOut() throws Exception {
    Replica a = replica("model-a");
    Replica b = replica("model-b");
    pool(Optional.empty(), a, b); // a tie: the first target's model, model-a
    calls(5);
    assertEquals(0, b.calls.get(), counts());

    // a dies (or is too busy to answer): the broken connection makes the pool re-resolve, and a misses every probe
    // (200 ms apart). Its last answer still votes for model-a, so b, alone in answering, does not become the pool.
    a.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
    ModelRuntimeGrpc.ModelRuntimeBlockingStub stub = ModelRuntimeGrpc.newBlockingStub(channel);
    while (System.nanoTime() < deadline) {
      try {
        stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS).tokenize(TokenizeRequest.getDefaultInstance());
      } catch (io.grpc.StatusRuntimeException e) {
        // no replica of model-a in rotation: failing is right, answering with model-b is not
      }
      Thread.sleep(20);
    }
    assertEquals(0, b.calls.get(), "the replica of another model never got a call: " + counts());
  }

  @Test
  void aConfiguredFingerprintWinsOverTheMajority() throws Exception {
    Replica a1 = replica("model-a");
    Replica a2 = replica("model-a");
    Replica b = replica("model-b");
    pool(Optional.of("model-b"), a1, a2, b);
    calls(10);
    assertEquals(10, b.calls.get(), counts());
  }

  @Test
  void aReplicaReportingNotServingGetsNothingUntilItServesAgain() throws Exception {
    Replica a1 = replica("model-a");
    Replica a2 = replica("model-a");
    pool(Optional.empty(), a1, a2);
    calls(4);
    a2.health.setStatus(RuntimePool.HEALTH_SERVICE, ServingStatus.NOT_SERVING); // loading or draining
    Thread.sleep(300); // the health stream delivers the change
    reset();
    calls(20);
    assertEquals(0, a2.calls.get(), counts());
    assertEquals(20, a1.calls.get(), counts());

    a2.health.setStatus(RuntimePool.HEALTH_SERVICE, ServingStatus.SERVING);
    Thread.sleep(300);
    reset();
    calls(20);
    assertTrue(a2.calls.get() >= 5, "back in rotation: " + counts());
  }

  @Test
  void callsThatMeetADeadReplicaSucceedOnTheLiveOne() throws Exception {
    Replica a1 = replica("model-a");
    Replica a2 = replica("model-a");
    pool(Optional.empty(), a1, a2);
    calls(4);
    a2.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    reset();
    calls(30); // none fails
    assertEquals(30, a1.calls.get(), counts());
  }

  @Test
  void theTargetsHostAndPortAreReadFromDnsAndOtherSchemes() {
    assertEquals("runtime:9101", RuntimePoolResolver.Provider.hostPort(URI.create("dns:///runtime:9101")));
    assertEquals("runtime:9101", RuntimePoolResolver.Provider.hostPort(URI.create("pool://runtime:9101")));
    assertTrue(RuntimePoolResolver.Provider.hostPort(URI.create("dns:///runtime.ns.svc:9101")).endsWith(":9101"));
  }
}
