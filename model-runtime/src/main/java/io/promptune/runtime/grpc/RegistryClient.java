package io.promptune.runtime.grpc;

import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.VersionSelector;
import io.promptune.runtime.service.RegistryLookup;
import io.promptune.runtime.service.RuntimeConfig;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;

/** GetVersion on the prompt registry (client "registry": quarkus.grpc.clients.registry.host/port). */
@ApplicationScoped
public class RegistryClient implements RegistryLookup {

  @GrpcClient("registry")
  PromptRegistryGrpc.PromptRegistryBlockingStub registry;

  @Inject
  RuntimeConfig config;

  @Override
  public PromptVersion getVersion(VersionSelector selector, boolean omitTensor) {
    return registry.withDeadlineAfter(config.registry().timeout().toMillis(), TimeUnit.MILLISECONDS)
        .getVersion(GetVersionRequest.newBuilder().setVersion(selector).setOmitTensor(omitTensor).build());
  }
}
