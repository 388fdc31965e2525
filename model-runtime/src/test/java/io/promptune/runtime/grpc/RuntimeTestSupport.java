package io.promptune.runtime.grpc;

import io.promptune.testing.TestKeys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.Tensors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TokenIds;
import io.promptune.runtime.engine.Golden;
import io.promptune.runtime.service.ModelHost;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.function.Executable;

/**
 * Shared by the @QuarkusTest classes: the application runs the real engine on the golden tiny checkpoint
 * (tiny-t5-v1_0 with the t5 tokenizer, see application.properties %test); tests talk to it over real gRPC.
 */
public final class RuntimeTestSupport {

  private static ManagedChannel channel;

  private RuntimeTestSupport() {}

  /**
   * Waits for the model. Without the golden directory the test is skipped loudly, or fails where the goldens are
   * required ({@link Golden#dir()} decides).
   */
  public static void awaitModel(ModelHost host) throws InterruptedException {
    Golden.dir();
    boolean ready = host.awaitReady(Duration.ofMinutes(3));
    assertTrue(ready, "model did not load: " + host.failure());
  }

  public static synchronized ManagedChannel channel() {
    if (channel == null) {
      int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
      channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
          .maxInboundMessageSize(64 << 20).build();
    }
    return channel;
  }

  public static ModelRuntimeGrpc.ModelRuntimeBlockingStub stub() {
    return ModelRuntimeGrpc.newBlockingStub(channel()).withInterceptors(TestKeys.bearer(TestKeys.SERVICE))
        .withDeadlineAfter(120, TimeUnit.SECONDS);
  }

  public static Text text(String s) {
    return Text.newBuilder().setText(s).build();
  }

  public static Text ids(int... ids) {
    TokenIds.Builder b = TokenIds.newBuilder();
    for (int id : ids) {
      b.addIds(id);
    }
    return Text.newBuilder().setIds(b).build();
  }

  public static PromptRef prompt(float[] values, int rows, int width) {
    return PromptRef.newBuilder().setTensor(Tensors.float32(values, rows, width)).build();
  }

  /** A deterministic prompt with values in [-0.5, 0.5). */
  public static float[] randomPrompt(long seed, int n) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() - 0.5);
    }
    return v;
  }

  /** Asserts the call fails with this code and reason, and that the message mentions each of {@code mentions}. */
  public static StatusRuntimeException assertError(Status.Code code, ErrorReason reason, Executable call,
      String... mentions) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    if (reason != null) {
      assertEquals(reason, ApiErrors.reasonOf(e).orElse(null), e.getStatus().toString());
    }
    for (String m : mentions) {
      assertTrue(String.valueOf(e.getStatus().getDescription()).contains(m),
          "message should mention '" + m + "': " + e.getStatus().getDescription());
    }
    return e;
  }
}
