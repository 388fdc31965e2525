package io.promptune.registry.grpc;

import io.promptune.api.v1.PromptRegistryGrpc;
import io.quarkus.grpc.GrpcService;

/** The PromptRegistry gRPC surface. Methods not implemented yet answer UNIMPLEMENTED. */
@GrpcService
public class RegistryGrpcService extends PromptRegistryGrpc.PromptRegistryImplBase {}
