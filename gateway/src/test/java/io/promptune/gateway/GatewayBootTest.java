package io.promptune.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** Boots with its three backends (stand-ins) serving: the API root answers and the gateway reports SERVING. */
@QuarkusTest
@io.quarkus.test.common.QuarkusTestResource(io.promptune.gateway.testing.FakeBackends.class)
class GatewayBootTest {

  @ConfigProperty(name = "quarkus.grpc.server.test-port")
  int grpcPort;

  @Test
  void servesTheApiRootAndHealth() throws InterruptedException {
    given().when().get("/v1").then().statusCode(200).body("api", equalTo("v1"));
    assertEquals(200, ReadinessTest.awaitStatus(() -> given().get("/q/health/ready").statusCode(), 200));
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    try {
      ServingStatus status = ServingStatus.UNKNOWN;
      for (int i = 0; i < 50 && status != ServingStatus.SERVING; i++) {
        status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        Thread.sleep(100);
      }
      assertEquals(ServingStatus.SERVING, status);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
