package io.promptune.gateway.datasets;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.DataChunk;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.UploadDatasetRequest;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.backend.Backend;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.limits.LimitedInputStream;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Streams an uploaded file (or two: train and validation) to the trainer's UploadDataset: the header, then 1 MiB
 * chunks, respecting gRPC flow control, never holding the whole file in memory. The total is capped at
 * {@code promptune.gateway.limits.max-upload}.
 */
@ApplicationScoped
public class DatasetUploader {

  static final int CHUNK = 1 << 20;

  @Inject
  Backends backends;

  @Inject
  GatewayConfig config;

  /** One split's bytes. */
  public record Part(Split split, InputStream data) {}

  public Dataset upload(CallerIdentity who, DatasetHeader header, List<Part> parts) {
    CompletableFuture<Dataset> result = new CompletableFuture<>();
    Object readyLock = new Object();
    ClientResponseObserver<UploadDatasetRequest, Dataset> observer = new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<UploadDatasetRequest> requestStream) {
        requestStream.setOnReadyHandler(() -> {
          synchronized (readyLock) {
            readyLock.notifyAll();
          }
        });
      }

      @Override
      public void onNext(Dataset value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
        synchronized (readyLock) {
          readyLock.notifyAll();
        }
      }

      @Override
      public void onCompleted() {
        result.completeExceptionally(new IllegalStateException("trainer closed the upload without an answer"));
      }
    };
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<UploadDatasetRequest> out = (ClientCallStreamObserver<UploadDatasetRequest>)
        backends.trainerAsync(who, config.deadlines().upload()).uploadDataset(observer);
    long limit = config.limits().maxUpload().asLongValue();
    long sent = 0;
    try {
      out.onNext(UploadDatasetRequest.newBuilder().setHeader(header).build());
      byte[] buf = new byte[CHUNK];
      for (Part p : parts) {
        LimitedInputStream in = new LimitedInputStream(p.data(), limit - sent, "The upload");
        int n;
        while ((n = in.readNBytes(buf, 0, CHUNK)) > 0) {
          awaitReady(out, result, readyLock);
          out.onNext(UploadDatasetRequest.newBuilder().setChunk(DataChunk.newBuilder().setSplit(p.split())
              .setData(ByteString.copyFrom(buf, 0, n))).build());
        }
        sent += in.count();
      }
      if (sent == 0) {
        throw ApiError.invalidField("file", "The uploaded file is empty.");
      }
      out.onCompleted();
    } catch (ApiError e) {
      out.cancel(e.getMessage(), null);
      throw e;
    } catch (IOException e) {
      out.cancel("upload interrupted", e);
      throw ApiError.badRequest("Reading the upload failed: " + e.getMessage());
    } catch (RuntimeException e) {
      out.cancel("gateway failure", e);
      if (result.isCompletedExceptionally()) {
        return await(result);
      }
      throw e;
    }
    return await(result);
  }

  private void awaitReady(ClientCallStreamObserver<?> out, CompletableFuture<Dataset> result, Object lock) {
    synchronized (lock) {
      while (!out.isReady() && !result.isDone()) {
        try {
          lock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted");
        }
      }
    }
    if (result.isCompletedExceptionally()) {
      await(result); // throws the trainer's error
    }
  }

  private Dataset await(CompletableFuture<Dataset> result) {
    try {
      return result.get(15, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw backends.error(Backend.TRAINER, s);
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("upload did not finish", e);
    }
  }

}
