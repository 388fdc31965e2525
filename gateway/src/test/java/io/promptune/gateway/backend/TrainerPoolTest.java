package io.promptune.gateway.backend;

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
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.common.pool.RuntimePoolResolver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's trainer client over several trainers, as {@link TrainerPool} configures it, against real gRPC servers
 * on loopback: calls go round robin to every trainer, none to one that reports NOT_SERVING (starting, draining), and
 * a dead one's share goes to the live ones.
 */
class TrainerPoolTest {

  /** A stand-in trainer that answers GetJob and counts the calls. */
  static final class Trainer {
    final AtomicInteger calls = new AtomicInteger();
    final HealthStatusManager health = new HealthStatusManager();
    final Server server;

    Trainer() throws Exception {
      health.setStatus(TrainerPool.HEALTH_SERVICE, ServingStatus.SERVING);
      server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(health.getHealthService())
          .addService(new TrainerGrpc.TrainerImplBase() {
            @Override
            public void getJob(GetJobRequest request, StreamObserver<Job> out) {
              calls.incrementAndGet();
              out.onNext(Job.newBuilder().setId(request.getJobId()).build());
              out.onCompleted();
            }
          }).build().start();
    }

    String target() {
      return "127.0.0.1:" + server.getPort();
    }
  }

  private final List<Trainer> trainers = new ArrayList<>();
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Trainer t : trainers) {
      t.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private void pool(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      trainers.add(new Trainer());
    }
    String targets = String.join(" , ", trainers.stream().map(Trainer::target).toList()) + ",";
    channel = Grpc.newChannelBuilder("dns:///trainer:9103", InsecureChannelCredentials.create())
        .nameResolverFactory(new RuntimePoolResolver.Provider("dns",
            RuntimePoolResolver.Settings.interchangeable(TrainerPool.targets(targets), Duration.ofSeconds(30))))
        .defaultServiceConfig(TrainerPool.serviceConfig(Optional.of(TrainerPool.HEALTH_SERVICE)))
        .build();
  }

  private void calls(int n) {
    TrainerGrpc.TrainerBlockingStub stub = TrainerGrpc.newBlockingStub(channel).withWaitForReady();
    for (int i = 0; i < n; i++) {
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).getJob(GetJobRequest.newBuilder().setJobId("j" + i).build());
    }
  }

  /** The calls each trainer took since the last look (reset). */
  private int[] counts() {
    return trainers.stream().mapToInt(t -> t.calls.getAndSet(0)).toArray();
  }

  /** Calls until every trainer took one (each connected and reported SERVING), then forgets the counts. */
  private void untilAllInRotation() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (trainers.stream().anyMatch(t -> t.calls.get() == 0)) {
      assertTrue(System.nanoTime() < deadline, "not every trainer got a call");
      calls(1);
      Thread.sleep(5);
    }
    counts();
  }

  @Test
  void theTargetListIsCommaSeparatedHostPorts() {
    assertEquals(List.of("a:1", "b:2"), TrainerPool.targets(" a:1, ,b:2 ,"));
    assertEquals(List.of(), TrainerPool.targets(""));
    assertEquals(List.of(), TrainerPool.targets(null));
  }

  @Test
  void callsGoRoundRobinToEveryTrainer() throws Exception {
    pool(3);
    untilAllInRotation();
    calls(60);
    // round robin over three ready trainers: one call in three each
    assertEquals("[20, 20, 20]", java.util.Arrays.toString(counts()));
  }

  /** Batches of 20 calls until one is spread as {@code expected}; fails after 20 s with the last spread seen. */
  private void eventuallySpread(String expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        calls(20);
      } catch (io.grpc.StatusRuntimeException e) {
        // a call that met the dead trainer before the balancer knew; the next batch tells
      }
      last = java.util.Arrays.toString(counts());
      if (last.equals(expected)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("calls never spread as " + expected + "; last " + last);
  }

  @Test
  void aTrainerReportingNotServingGetsNothingAndADeadOnesShareGoesToTheOthers() throws Exception {
    pool(2);
    untilAllInRotation();
    trainers.get(1).health.setStatus(TrainerPool.HEALTH_SERVICE, ServingStatus.NOT_SERVING); // starting or draining
    eventuallySpread("[20, 0]");
    calls(20);
    assertEquals("[20, 0]", java.util.Arrays.toString(counts()), "stays out while NOT_SERVING");

    trainers.get(1).health.setStatus(TrainerPool.HEALTH_SERVICE, ServingStatus.SERVING);
    untilAllInRotation();
    calls(20);
    assertEquals("[10, 10]", java.util.Arrays.toString(counts()), "back in rotation");

    trainers.get(0).server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    eventuallySpread("[0, 20]");
    calls(20);
    assertEquals("[0, 20]", java.util.Arrays.toString(counts()), "the dead trainer stays out");
  }
}
