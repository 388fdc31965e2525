package io.promptune.client;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.TrainerGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A connection to a Promptune deployment for other services: typed gRPC stubs for the prompt registry, the model
 * runtime and the trainer, each call carrying the API key, a default deadline, and (for reads and pure
 * computations only, see {@link RetryPolicy}) retries after UNAVAILABLE. Build one per process and share it; the
 * stubs are cheap and thread-safe. Close it on shutdown.
 *
 * <pre>{@code
 * try (PromptuneClient client = PromptuneClient.builder().target("registry.internal:9102")
 *     .apiKeyFile(Path.of("/etc/promptune/key")).deadline(Duration.ofSeconds(10)).build()) {
 *   PromptVersion v = client.registry().getVersion(GetVersionRequest.newBuilder()
 *       .setVersion(VersionRefs.parse("sentiment@prod")).build());
 * }
 * }</pre>
 */
public final class PromptuneClient implements AutoCloseable {

  /** The deadline of a unary call that sets none, unless the builder says otherwise. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  private final Map<String, ManagedChannel> channels;
  private final ManagedChannel registry;
  private final ManagedChannel runtime;
  private final ManagedChannel trainer;

  private PromptuneClient(Map<String, ManagedChannel> channels, String registry, String runtime, String trainer) {
    this.channels = channels;
    this.registry = channels.get(registry);
    this.runtime = channels.get(runtime);
    this.trainer = channels.get(trainer);
  }

  public static Builder builder() {
    return new Builder();
  }

  public PromptRegistryGrpc.PromptRegistryBlockingStub registry() {
    return PromptRegistryGrpc.newBlockingStub(registry);
  }

  public PromptRegistryGrpc.PromptRegistryStub registryAsync() {
    return PromptRegistryGrpc.newStub(registry);
  }

  public ModelRuntimeGrpc.ModelRuntimeBlockingStub runtime() {
    return ModelRuntimeGrpc.newBlockingStub(runtime);
  }

  public ModelRuntimeGrpc.ModelRuntimeStub runtimeAsync() {
    return ModelRuntimeGrpc.newStub(runtime);
  }

  public TrainerGrpc.TrainerBlockingStub trainer() {
    return TrainerGrpc.newBlockingStub(trainer);
  }

  /** The asynchronous trainer stub: UploadDataset (a client stream) and WatchJob without blocking a thread. */
  public TrainerGrpc.TrainerStub trainerAsync() {
    return TrainerGrpc.newStub(trainer);
  }

  /** Shuts the channels down, waiting up to five seconds for calls in flight. */
  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdown);
    try {
      for (ManagedChannel c : channels.values()) {
        if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      channels.values().forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }

  /** Settings for a {@link PromptuneClient}; {@link #target} (or all three service targets) is required. */
  public static final class Builder {

    private String target;
    private String registryTarget;
    private String runtimeTarget;
    private String trainerTarget;
    private String apiKey;
    private boolean tls;
    private Path trustCerts;
    private Path clientCertChain;
    private Path clientKey;
    private Duration deadline = DEFAULT_DEADLINE;
    private boolean retries = true;

    private Builder() {}

    /**
     * {@code host:port} of every service that has no target of its own. Each Promptune service listens on its own
     * gRPC port (registry 9102, runtime 9101, trainer 9103 by default), so a client of more than one service sets
     * {@link #registryTarget}, {@link #runtimeTarget} and {@link #trainerTarget}, or points this at a proxy that
     * routes by service name ({@code /promptune.v1.PromptRegistry/...}).
     */
    public Builder target(String hostPort) {
      this.target = requireTarget(hostPort);
      return this;
    }

    public Builder registryTarget(String hostPort) {
      this.registryTarget = requireTarget(hostPort);
      return this;
    }

    public Builder runtimeTarget(String hostPort) {
      this.runtimeTarget = requireTarget(hostPort);
      return this;
    }

    public Builder trainerTarget(String hostPort) {
      this.trainerTarget = requireTarget(hostPort);
      return this;
    }

    /** The API key sent as {@code authorization: Bearer <key>} on every call. */
    public Builder apiKey(String key) {
      if (key == null || key.isBlank() || key.strip().chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
        throw new IllegalArgumentException("an API key is non-empty printable ASCII without spaces");
      }
      this.apiKey = key.strip();
      return this;
    }

    /** Reads the API key from a file holding just the key (surrounding whitespace and a final newline ignored). */
    public Builder apiKeyFile(Path file) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the API key file " + file + ": " + e.getMessage(), e);
      }
      if (text.isBlank()) {
        throw new IllegalArgumentException("the API key file " + file + " is empty");
      }
      return apiKey(text);
    }

    /** TLS, trusting the JVM's default certificate authorities. */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /** TLS, trusting the certificate authorities in a PEM file (a private CA). */
    public Builder tls(Path trustCertsPem) {
      this.tls = true;
      this.trustCerts = trustCertsPem;
      return this;
    }

    /** Mutual TLS: also present this client certificate chain and its private key (PEM, PKCS#8). */
    public Builder mtls(Path certChainPem, Path privateKeyPem) {
      this.tls = true;
      this.clientCertChain = certChainPem;
      this.clientKey = privateKeyPem;
      return this;
    }

    /** The deadline of unary calls that set none themselves (30 s by default). Positive. */
    public Builder deadline(Duration deadline) {
      if (deadline == null || deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("the default deadline must be positive, got " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /** Whether reads and pure computations are retried after UNAVAILABLE ({@link RetryPolicy}); on by default. */
    public Builder retries(boolean retries) {
      this.retries = retries;
      return this;
    }

    public PromptuneClient build() {
      String reg = registryTarget != null ? registryTarget : target;
      String run = runtimeTarget != null ? runtimeTarget : target;
      String tra = trainerTarget != null ? trainerTarget : target;
      if (reg == null || run == null || tra == null) {
        throw new IllegalStateException("no target: set target(\"host:port\") or the registry, runtime and trainer "
            + "targets");
      }
      if (apiKey == null) {
        throw new IllegalStateException("no API key: set apiKey(...) or apiKeyFile(...); every Promptune call "
            + "needs one");
      }
      ChannelCredentials credentials = credentials();
      Map<String, ManagedChannel> channels = new LinkedHashMap<>();
      for (String t : new String[] {reg, run, tra}) {
        channels.computeIfAbsent(t, k -> channel(k, credentials));
      }
      return new PromptuneClient(channels, reg, run, tra);
    }

    private ManagedChannel channel(String target, ChannelCredentials credentials) {
      ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(target, credentials)
          .intercept(new DefaultDeadlineInterceptor(deadline), new ApiKeyInterceptor(apiKey));
      if (retries) {
        b.defaultServiceConfig(RetryPolicy.serviceConfig()).enableRetry();
      } else {
        b.disableRetry();
      }
      return b.build();
    }

    private ChannelCredentials credentials() {
      if (!tls) {
        return InsecureChannelCredentials.create();
      }
      TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
      try {
        if (trustCerts != null) {
          b.trustManager(trustCerts.toFile());
        }
        if (clientCertChain != null) {
          b.keyManager(clientCertChain.toFile(), clientKey.toFile());
        }
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the TLS files: " + e.getMessage(), e);
      }
      return b.build();
    }

    private static String requireTarget(String hostPort) {
      if (hostPort == null || hostPort.isBlank()) {
        throw new IllegalArgumentException("a target is \"host:port\", got " + hostPort);
      }
      return hostPort.strip();
    }
  }
}
