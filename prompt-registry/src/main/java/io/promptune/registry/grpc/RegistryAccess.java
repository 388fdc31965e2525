package io.promptune.registry.grpc;

import static io.promptune.api.CallerIdentity.Role.ADMIN;
import static io.promptune.api.CallerIdentity.Role.OPERATOR;
import static io.promptune.api.CallerIdentity.Role.TRAINER;
import static io.promptune.api.CallerIdentity.Role.VIEWER;

import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.common.auth.AccessPolicy;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Who may call what on the registry: reading needs any key, writing prompts, versions, ensembles and evaluations
 * needs trainer, moving environments needs operator, editing promotion gates needs admin. A forced promotion
 * additionally needs admin (checked in PromotionService, since it depends on a request field).
 */
public class RegistryAccess {

  @Produces
  @Singleton
  static AccessPolicy policy() {
    return AccessPolicy.builder()
        .require(PromptRegistryGrpc.getCreatePromptMethod(), TRAINER)
        .require(PromptRegistryGrpc.getGetPromptMethod(), VIEWER)
        .require(PromptRegistryGrpc.getListPromptsMethod(), VIEWER)
        .require(PromptRegistryGrpc.getPublishVersionMethod(), TRAINER)
        .require(PromptRegistryGrpc.getGetVersionMethod(), VIEWER)
        .require(PromptRegistryGrpc.getListVersionsMethod(), VIEWER)
        .require(PromptRegistryGrpc.getGetLineageMethod(), VIEWER)
        .require(PromptRegistryGrpc.getListEnvironmentsMethod(), VIEWER)
        .require(PromptRegistryGrpc.getListAliasesMethod(), VIEWER)
        .require(PromptRegistryGrpc.getPromoteMethod(), OPERATOR)
        .require(PromptRegistryGrpc.getRollbackMethod(), OPERATOR)
        .require(PromptRegistryGrpc.getListAuditEventsMethod(), VIEWER)
        .require(PromptRegistryGrpc.getExportPeftMethod(), VIEWER)
        .require(PromptRegistryGrpc.getImportPeftMethod(), TRAINER)
        .require(PromptRegistryGrpc.getCreateEnsembleMethod(), TRAINER)
        .require(PromptRegistryGrpc.getRecordEvaluationMethod(), TRAINER)
        .require(PromptRegistryGrpc.getListEvaluationsMethod(), VIEWER)
        .require(PromptRegistryGrpc.getSetPromotionGateMethod(), ADMIN)
        .require(PromptRegistryGrpc.getListPromotionGatesMethod(), VIEWER)
        .require(PromptRegistryGrpc.getDeletePromotionGateMethod(), ADMIN)
        .build();
  }
}
