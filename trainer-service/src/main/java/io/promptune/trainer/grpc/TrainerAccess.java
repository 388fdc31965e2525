package io.promptune.trainer.grpc;

import static io.promptune.api.CallerIdentity.Role.TRAINER;
import static io.promptune.api.CallerIdentity.Role.VIEWER;

import io.promptune.api.v1.TrainerGrpc;
import io.promptune.common.auth.AccessPolicy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Who may call what on the trainer: reading needs any key; uploading data and submitting or cancelling jobs needs trainer. */
public class TrainerAccess {

  @Produces
  @Singleton
  static AccessPolicy policy() {
    return AccessPolicy.builder()
        .require(TrainerGrpc.getUploadDatasetMethod(), TRAINER)
        .require(TrainerGrpc.getGetDatasetMethod(), VIEWER)
        .require(TrainerGrpc.getListDatasetsMethod(), VIEWER)
        .require(TrainerGrpc.getSubmitJobMethod(), TRAINER)
        .require(TrainerGrpc.getSubmitEvaluationMethod(), TRAINER)
        .require(TrainerGrpc.getGetJobMethod(), VIEWER)
        .require(TrainerGrpc.getListJobsMethod(), VIEWER)
        .require(TrainerGrpc.getCancelJobMethod(), TRAINER)
        .require(TrainerGrpc.getWatchJobMethod(), VIEWER)
        .require(TrainerGrpc.getListJobEventsMethod(), VIEWER)
        .build();
  }
}
