package io.promptune.runtime.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.RetryInfo;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.common.auth.CallerContext;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-principal in-flight limit in front of a real gRPC server: a principal over its limit is refused with
 * RESOURCE_EXHAUSTED and a retry hint while another principal is still served, and slots come back when calls end.
 */
class FairUseTest {

  private static final Metadata.Key<String> WHO = Metadata.Key.of("test-principal", Metadata.ASCII_STRING_MARSHALLER);

  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(2);
  private Server server;
  private ManagedChannel channel;
  private final ExecutorService callers = Executors.newFixedThreadPool(4);

  /** Score blocks team-a's calls until the test releases them; everyone else is answered at once. */
  final class BlockingRuntime extends ModelRuntimeGrpc.ModelRuntimeImplBase {
    @Override
    public void score(ScoreRequest request, StreamObserver<ScoreResponse> out) {
      if (CallerContext.current().actor().equals("team-a")) {
        entered.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      out.onNext(ScoreResponse.getDefaultInstance());
      out.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    // Stands in for authentication (tested in service-common): the caller named in a header.
    ServerInterceptor identify = new ServerInterceptor() {
      @Override
      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata h,
          io.grpc.ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(CallerContext.with(new CallerIdentity(h.get(WHO), CallerIdentity.Role.VIEWER)),
            call, h, next);
      }
    };
    FairUseInterceptor fairUse = new FairUseInterceptor(2, Duration.ofMillis(1500));
    // intercept(): the last interceptor listed runs first.
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(new BlockingRuntime(), fairUse, identify))
        .executor(Executors.newFixedThreadPool(8))
        .build().start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
        .build();
  }

  @AfterEach
  void stop() {
    release.countDown();
    callers.shutdownNow();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private ModelRuntimeGrpc.ModelRuntimeBlockingStub as(String principal) {
    Metadata m = new Metadata();
    m.put(WHO, principal);
    return ModelRuntimeGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void aSecondPrincipalIsServedWhileTheFirstIsOverItsLimit() throws Exception {
    Future<ScoreResponse> a1 = callers.submit(() -> as("team-a").score(ScoreRequest.getDefaultInstance()));
    Future<ScoreResponse> a2 = callers.submit(() -> as("team-a").score(ScoreRequest.getDefaultInstance()));
    assertTrue(entered.await(30, TimeUnit.SECONDS), "team-a's two calls are running");

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> as("team-a").score(ScoreRequest.getDefaultInstance()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
    assertEquals(Optional.of(ErrorReason.QUOTA_EXCEEDED), ApiErrors.reasonOf(refused));
    RetryInfo retry = StatusProto.fromThrowable(refused).getDetailsList().stream().filter(d -> d.is(RetryInfo.class))
        .map(d -> {
          try {
            return d.unpack(RetryInfo.class);
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        }).findFirst().orElseThrow();
    assertEquals(1, retry.getRetryDelay().getSeconds());
    assertEquals(500_000_000, retry.getRetryDelay().getNanos());

    // team-b is not held up by team-a's burst.
    as("team-b").score(ScoreRequest.getDefaultInstance());

    release.countDown();
    a1.get(30, TimeUnit.SECONDS);
    a2.get(30, TimeUnit.SECONDS);
    // Slots came back: team-a is served again.
    as("team-a").score(ScoreRequest.getDefaultInstance());
  }
}
