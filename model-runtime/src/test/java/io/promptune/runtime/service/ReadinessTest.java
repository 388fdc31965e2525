package io.promptune.runtime.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.promptune.runtime.grpc.RuntimeTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Readiness is UP (with the model's id and fingerprint) once the model is loaded, and gRPC health says SERVING. */
@QuarkusTest
class ReadinessTest {

  @Inject
  ModelHost host;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  @Test
  void readyWithModelData() throws Exception {
    int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"model\""), r.body());
    assertTrue(r.body().contains(host.service().engine().fingerprint()), r.body());

    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(RuntimeTestSupport.channel());
    ServingStatus status = ServingStatus.UNKNOWN;
    for (int i = 0; i < 50 && status != ServingStatus.SERVING; i++) {
      status = health.check(HealthCheckRequest.newBuilder().setService("promptune.v1.ModelRuntime").build())
          .getStatus();
      if (status != ServingStatus.SERVING) {
        Thread.sleep(100);
      }
    }
    assertEquals(ServingStatus.SERVING, status);
  }
}
