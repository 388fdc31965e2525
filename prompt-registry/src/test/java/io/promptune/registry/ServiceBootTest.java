package io.promptune.registry;

import io.promptune.testing.EmbeddedDatabaseResource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The registry boots against a real PostgreSQL, migrates, and says so on the standard gRPC health service. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
class ServiceBootTest {

  @ConfigProperty(name = "quarkus.grpc.server.test-port")
  int grpcPort;

  private ManagedChannel channel;

  @BeforeEach
  void open() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
  }

  @AfterEach
  void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void healthIsServingOnceTheDatabaseIsReachable() throws InterruptedException {
    var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    ServingStatus status = ServingStatus.UNKNOWN;
    for (int i = 0; i < 50 && status != ServingStatus.SERVING; i++) {
      try {
        status = health.check(HealthCheckRequest.newBuilder().setService("promptune.v1.PromptRegistry").build())
            .getStatus();
      } catch (io.grpc.StatusRuntimeException notYet) {
        // the bridge publishes within a second of start
      }
      if (status != ServingStatus.SERVING) {
        Thread.sleep(100);
      }
    }
    assertEquals(ServingStatus.SERVING, status);
    assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
  }

  @Test
  void reflectionListsTheRegistryService() throws Exception {
    CompletableFuture<List<String>> names = new CompletableFuture<>();
    var call = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(new StreamObserver<>() {
      final List<String> seen = new ArrayList<>();

      @Override
      public void onNext(ServerReflectionResponse r) {
        r.getListServicesResponse().getServiceList().forEach(s -> seen.add(s.getName()));
      }

      @Override
      public void onError(Throwable t) {
        names.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        names.complete(seen);
      }
    });
    call.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    call.onCompleted();
    List<String> services = names.get(10, TimeUnit.SECONDS);
    assertTrue(services.contains("promptune.v1.PromptRegistry"), services.toString());
    assertTrue(services.contains("grpc.health.v1.Health"), services.toString());
  }
}
