package io.promptune.trainer.api;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Points the trainer's runtime and registry clients at the test gRPC server itself, where {@link
 * ToyRuntimeGrpcService} and {@link InMemoryRegistryGrpcService} are served, and makes leases, retries and polls
 * short. The background worker is off: tests run the queue with {@code JobWorker.poll()}.
 */
public class TestBackendsResource implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    return Map.ofEntries(
        Map.entry("quarkus.grpc.clients.runtime.port", "19103"),
        Map.entry("quarkus.grpc.clients.registry.port", "19103"),
        Map.entry("promptune.trainer.worker.enabled", "false"),
        Map.entry("promptune.trainer.worker.id", "test-worker"),
        Map.entry("promptune.trainer.lease-duration", "2s"),
        Map.entry("promptune.trainer.heartbeat-interval", "500ms"),
        Map.entry("promptune.trainer.retry.initial-backoff", "20ms"),
        Map.entry("promptune.trainer.retry.max-backoff", "100ms"),
        Map.entry("promptune.trainer.retry.max-elapsed", "20s"),
        Map.entry("promptune.trainer.rpc-deadline", "30s"),
        Map.entry("promptune.trainer.watch.poll-interval", "50ms"),
        Map.entry("promptune.trainer.dataset.max-bytes", "200000"));
  }

  @Override
  public void stop() {}
}
