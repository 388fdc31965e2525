package io.promptune.trainer.grpc;

import io.promptune.api.v1.TrainerGrpc;
import io.quarkus.grpc.GrpcService;

/** The Trainer gRPC surface. Methods not implemented yet answer UNIMPLEMENTED. */
@GrpcService
public class TrainerGrpcService extends TrainerGrpc.TrainerImplBase {}
