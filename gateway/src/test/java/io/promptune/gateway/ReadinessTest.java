package io.promptune.gateway;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.promptune.gateway.testing.FakeBackends;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** The gateway is ready (HTTP and gRPC health) exactly when its three backends serve. */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class ReadinessTest {

  static int awaitStatus(IntSupplier probe, int expected) throws InterruptedException {
    int s = -1;
    for (int i = 0; i < 100 && s != expected; i++) {
      s = probe.getAsInt();
      if (s != expected) {
        Thread.sleep(100);
      }
    }
    return s;
  }

  static ServingStatus grpcHealth() {
    int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService("promptune.gateway").build()).getStatus();
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void readinessFollowsTheBackends() throws InterruptedException {
    IntSupplier ready = () -> given().get("/q/health/ready").statusCode();
    assertEquals(200, awaitStatus(ready, 200));
    assertEquals(ServingStatus.SERVING, grpcHealth());
    FakeBackends.stopBackend(FakeBackends.Kind.RUNTIME);
    try {
      assertEquals(503, awaitStatus(ready, 503), "not ready while the runtime is down");
      given().get("/q/health/ready").then().body("checks.find { it.name == 'backends' }.data.runtime",
          org.hamcrest.Matchers.startsWith("UNREACHABLE"));
      assertEquals(ServingStatus.NOT_SERVING, grpcHealth());
      given().get("/q/health/live").then().statusCode(200);
    } finally {
      FakeBackends.startBackend(FakeBackends.Kind.RUNTIME);
    }
    assertEquals(200, awaitStatus(ready, 200), "ready again once the runtime is back");
  }
}
