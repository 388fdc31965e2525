package io.promptune.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every unary call that has no deadline of its own ({@code stub.withDeadlineAfter(...)}) the client's default
 * one. Streaming calls (WatchJob, UploadDataset) get none: a watch may rightly last as long as a job.
 */
final class DefaultDeadlineInterceptor implements ClientInterceptor {

  private final long nanos;

  DefaultDeadlineInterceptor(Duration deadline) {
    this.nanos = deadline.toNanos();
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    if (options.getDeadline() == null && method.getType() == MethodDescriptor.MethodType.UNARY) {
      options = options.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS);
    }
    return next.newCall(method, options);
  }
}
