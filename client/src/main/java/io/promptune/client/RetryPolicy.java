package io.promptune.client;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.TrainerGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * gRPC's standard retry policy (a service config, see gRFC A6) for the calls that are safe to repeat: the reads
 * ({@code Get*}, {@code List*}) and the runtime's pure computations (Score, Generate, ForwardBackward, Tokenize,
 * NearestTokens, EmbedTokens, GetModelInfo). Only UNAVAILABLE is retried: the server was not reached or refused the
 * call before doing anything. Writes (PublishVersion, Promote, SubmitJob, ...) are never retried, so a lost answer
 * cannot publish or submit twice; streaming calls are left alone too.
 */
public final class RetryPolicy {

  /** Attempts in all (the first call and up to three retries). */
  public static final int MAX_ATTEMPTS = 4;

  private static final Set<String> PURE_RUNTIME_CALLS = Set.of("Score", "Generate", "ForwardBackward", "Tokenize",
      "NearestTokens", "EmbedTokens", "GetModelInfo");

  private RetryPolicy() {}

  /** Whether a retry may repeat this method: unary, and a read or a pure computation. */
  public static boolean isRetried(MethodDescriptor<?, ?> method) {
    String name = method.getBareMethodName();
    return method.getType() == MethodDescriptor.MethodType.UNARY && name != null
        && (name.startsWith("Get") || name.startsWith("List") || PURE_RUNTIME_CALLS.contains(name));
  }

  /** The service config for {@code ManagedChannelBuilder.defaultServiceConfig}: one retry policy, these methods. */
  public static Map<String, Object> serviceConfig() {
    List<Object> names = new ArrayList<>();
    for (ServiceDescriptor service : List.of(PromptRegistryGrpc.getServiceDescriptor(),
        ModelRuntimeGrpc.getServiceDescriptor(), TrainerGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        if (isRetried(m)) {
          names.add(Map.of("service", service.getName(), "method", m.getBareMethodName()));
        }
      }
    }
    // The service config is JSON-shaped: numbers are doubles, durations strings.
    Map<String, Object> retry = Map.of("maxAttempts", (double) MAX_ATTEMPTS, "initialBackoff", "0.2s",
        "maxBackoff", "2s", "backoffMultiplier", 2.0, "retryableStatusCodes", List.of("UNAVAILABLE"));
    return Map.of("methodConfig", List.of(Map.of("name", names, "retryPolicy", retry)));
  }
}
