package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TokenIds;
import io.promptune.api.v1.TrainingExample;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A real model-runtime process gets SIGTERM while a ForwardBackward is inside it: that call completes, calls after
 * it are refused (UNAVAILABLE, or no connection once the server is gone), and the process exits 0 within the drain
 * timeout. The call is held in the runtime by a long batching window (the batcher waits for more callers), so the
 * signal lands while it is in flight without depending on machine speed.
 */
class RuntimeSigtermIT {

  static final int GRPC = 9101 + 31000;
  static final int HTTP = 8101 + 31000;

  @Test
  void drainsThenExitsZero() throws Exception {
    Path root = Path.of(System.getProperty("promptune.root", "../..")).toAbsolutePath().normalize();
    Path jar = root.resolve("model-runtime/target/quarkus-app/quarkus-run.jar");
    Path golden = root.resolve("../shared/golden/tiny-t5-v1_0").normalize();
    Assumptions.assumeTrue(Files.isRegularFile(jar), "model-runtime not packaged: " + jar);
    Assumptions.assumeTrue(Files.isDirectory(golden), "golden checkpoint missing: " + golden);

    Path log = Files.createTempFile("runtime-sigterm", ".log");
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-XX:+UseSerialGC", "-Xmx512m", "-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PROMPTUNE_") || k.startsWith("OTEL_"));
    pb.environment().put("PROMPTUNE_RUNTIME_GRPC_PORT", Integer.toString(GRPC));
    pb.environment().put("PROMPTUNE_RUNTIME_HTTP_PORT", Integer.toString(HTTP));
    pb.environment().put("PROMPTUNE_MODEL", golden.toString());
    pb.environment().put("PROMPTUNE_RUNTIME_TOKENIZER", golden.resolveSibling("t5-tokenizer/tokenizer.json").toString());
    pb.environment().put("PROMPTUNE_RUNTIME_BATCHING_WINDOW", "4s");
    pb.environment().put("PROMPTUNE_SHUTDOWN_DRAIN_TIMEOUT", "20s");
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    // Every call needs a key: one trainer key, given inline (the service reads PROMPTUNE_AUTH_KEYS).
    String key = io.promptune.deploy.cli.LocalKeys.newKey();
    pb.environment().put("PROMPTUNE_AUTH_KEYS", "sigterm-test:trainer:" + io.promptune.deploy.cli.LocalKeys.sha256Hex(key));
    Process p = pb.start();
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", GRPC).usePlaintext().build();
    ExecutorService threads = Executors.newCachedThreadPool();
    try {
      awaitReady(p, log);
      var stub = ModelRuntimeGrpc.newBlockingStub(ch).withInterceptors(Deployment.bearer(key));
      stub.withDeadlineAfter(30, TimeUnit.SECONDS).getModelInfo(GetModelInfoRequest.getDefaultInstance());

      CompletableFuture<ForwardBackwardResponse> inFlight = CompletableFuture.supplyAsync(() -> stub
          .withDeadlineAfter(60, TimeUnit.SECONDS).forwardBackward(ForwardBackwardRequest.newBuilder()
              .addExamples(TrainingExample.newBuilder().setInput(ids(5, 6, 1)).setTarget(ids(7, 1))).build()),
          threads);
      Thread.sleep(1000); // inside the 4 s batching window
      assertTrue(!inFlight.isDone(), "the call should still be waiting in the batcher");
      long t0 = System.nanoTime();
      p.destroy(); // SIGTERM
      // Calls answered before the JVM has acted on the signal are fine; the first refusal must be UNAVAILABLE.
      StatusRuntimeException refused = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (refused == null && System.nanoTime() < until) {
        try {
          stub.withDeadlineAfter(10, TimeUnit.SECONDS).getModelInfo(GetModelInfoRequest.getDefaultInstance());
          Thread.sleep(20);
        } catch (StatusRuntimeException e) {
          refused = e;
        }
      }
      assertTrue(!inFlight.isDone() || !inFlight.isCompletedExceptionally(), "the in-flight call must not fail");
      assertTrue(refused != null, "a call after SIGTERM must be refused:\n" + tail(log));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());

      ForwardBackwardResponse r = inFlight.get(30, TimeUnit.SECONDS);
      assertEquals(2, r.getNumTargetTokens(), "the in-flight call completed");
      assertTrue(p.waitFor(40, TimeUnit.SECONDS), "the runtime did not exit within the timeout:\n" + tail(log));
      assertEquals(0, p.exitValue(), "exit status after SIGTERM:\n" + tail(log));
      System.out.printf("runtime exited 0 %.1f s after SIGTERM%n", (System.nanoTime() - t0) / 1e9);
    } finally {
      ch.shutdownNow();
      threads.shutdownNow();
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }

  static Text ids(int... ids) {
    TokenIds.Builder b = TokenIds.newBuilder();
    for (int id : ids) {
      b.addIds(id);
    }
    return Text.newBuilder().setIds(b).build();
  }

  static void awaitReady(Process p, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError("runtime exited during start:\n" + tail(log));
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + HTTP + "/q/health/ready").toURL()
            .openConnection();
        c.setConnectTimeout(500);
        if (c.getResponseCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError("runtime not ready:\n" + tail(log));
  }

  static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
