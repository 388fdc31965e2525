package io.promptune.trainer.api;

import io.promptune.testing.TestKeys;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.DataChunk;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.UploadDatasetRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/** gRPC plumbing shared by the API tests. */
public final class TestClients {

  private TestClients() {}

  public static ManagedChannel channel() {
    return ManagedChannelBuilder.forAddress("127.0.0.1", 19103).usePlaintext().build();
  }

  public static TrainerGrpc.TrainerBlockingStub trainer(ManagedChannel ch, CallerIdentity who) {
    return TrainerGrpc.newBlockingStub(ch).withInterceptors(TestKeys.serviceActingFor(who))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  public static final CallerIdentity ALICE = new CallerIdentity("alice", CallerIdentity.Role.TRAINER);
  public static final CallerIdentity VIEWER = new CallerIdentity("victor", CallerIdentity.Role.VIEWER);

  /** Uploads train (and, when not null, validation) text in chunks of {@code chunk} bytes. */
  public static Dataset upload(ManagedChannel ch, CallerIdentity who, DatasetHeader header, String train,
      String validation, int chunk) {
    CompletableFuture<Dataset> result = new CompletableFuture<>();
    var stub = TrainerGrpc.newStub(ch).withInterceptors(TestKeys.serviceActingFor(who));
    StreamObserver<UploadDatasetRequest> req = stub.uploadDataset(new StreamObserver<>() {
      @Override
      public void onNext(Dataset d) {
        result.complete(d);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    req.onNext(UploadDatasetRequest.newBuilder().setHeader(header).build());
    send(req, Split.TRAIN, train, chunk);
    if (validation != null) {
      send(req, Split.VALIDATION, validation, chunk);
    }
    req.onCompleted();
    try {
      return result.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw s;
      }
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(StreamObserver<UploadDatasetRequest> req, Split split, String text, int chunk) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < b.length; i += chunk) {
      req.onNext(UploadDatasetRequest.newBuilder().setChunk(DataChunk.newBuilder().setSplit(split)
          .setData(ByteString.copyFrom(b, i, Math.min(chunk, b.length - i)))).build());
    }
  }

  public static ErrorReason reason(Throwable t) {
    return ApiErrors.reasonOf(t).orElse(ErrorReason.ERROR_REASON_UNSPECIFIED);
  }

  /** Ends every unfinished job, so one test's leftovers are never claimed by another. */
  public static void finishAllJobs(DataSource db) throws Exception {
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE trainer.jobs SET state = 'CANCELLED', reason = 'test cleanup', lease_until = NULL"
          + " WHERE state IN ('QUEUED', 'RUNNING')");
    }
  }

  /** sst2-style CSV records: sentence,label with a clear word signal. */
  public static String sst2Csv(int n, int offset) {
    StringBuilder sb = new StringBuilder("sentence,label\n");
    String[] good = {"great", "lovely", "fine", "superb", "moving"};
    String[] bad = {"dull", "awful", "boring", "weak", "bad"};
    for (int i = 0; i < n; i++) {
      int k = i + offset;
      boolean pos = k % 2 == 0;
      sb.append("\"a ").append((pos ? good : bad)[k % 5]).append(", film ").append(k % 7).append("\",")
          .append(pos ? 1 : 0).append('\n');
    }
    return sb.toString();
  }
}
