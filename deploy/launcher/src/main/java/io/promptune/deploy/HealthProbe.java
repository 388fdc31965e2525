package io.promptune.deploy;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/** Asks a service's standard gRPC health service whether it is SERVING. */
public final class HealthProbe {

  private HealthProbe() {}

  /**
   * SERVING, NOT_SERVING, ..., "UNREACHABLE" when nothing answers (no connection), or the gRPC status code when the
   * call failed otherwise (DEADLINE_EXCEEDED: connected but no answer within the probe's deadline).
   */
  public static String check(String host, int port, String service) {
    ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
    try {
      HealthCheckResponse r = HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(2, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build());
      return r.getStatus().name();
    } catch (StatusRuntimeException e) {
      io.grpc.Status.Code code = e.getStatus().getCode();
      return code == io.grpc.Status.Code.UNAVAILABLE ? "UNREACHABLE" : code.name();
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  public static boolean isServing(String host, int port, String service) {
    return "SERVING".equals(check(host, port, service));
  }
}
