package io.promptune.trainer.api;

import io.promptune.testing.EmbeddedDatabaseResource;
import static org.junit.jupiter.api.Assertions.assertEquals;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The trainer boots against a real PostgreSQL, migrates, and says so on the standard gRPC health service. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestBackendsResource.class, restrictToAnnotatedClass = false)
class ServiceBootTest {

  @Test
  void healthIsServing() throws InterruptedException {
    ManagedChannel ch = TestClients.channel();
    try {
      var health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS);
      ServingStatus status = ServingStatus.UNKNOWN;
      for (int i = 0; i < 50 && status != ServingStatus.SERVING; i++) {
        try {
          status = health.check(HealthCheckRequest.newBuilder().setService("promptune.v1.Trainer").build())
              .getStatus();
        } catch (io.grpc.StatusRuntimeException notYet) {
          // published within a second of start
        }
        if (status != ServingStatus.SERVING) {
          Thread.sleep(100);
        }
      }
      assertEquals(ServingStatus.SERVING, status);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
