package io.promptune.gateway.backend;

/** The three services behind the gateway, with the gRPC service each must report SERVING for. */
public enum Backend {
  REGISTRY("registry", "promptune.v1.PromptRegistry"),
  TRAINER("trainer", "promptune.v1.Trainer"),
  RUNTIME("runtime", "promptune.v1.ModelRuntime");

  private final String clientName;
  private final String grpcService;

  Backend(String clientName, String grpcService) {
    this.clientName = clientName;
    this.grpcService = grpcService;
  }

  /** The name under quarkus.grpc.clients.* and in error messages. */
  public String clientName() {
    return clientName;
  }

  public String grpcService() {
    return grpcService;
  }
}
