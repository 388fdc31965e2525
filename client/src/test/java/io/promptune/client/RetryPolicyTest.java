package io.promptune.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.ModelRuntimeGrpc;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.TrainerGrpc;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void readsAndPureComputationsOnly() {
    assertTrue(RetryPolicy.isRetried(PromptRegistryGrpc.getGetVersionMethod()));
    assertTrue(RetryPolicy.isRetried(PromptRegistryGrpc.getListPromptsMethod()));
    assertTrue(RetryPolicy.isRetried(ModelRuntimeGrpc.getScoreMethod()));
    assertTrue(RetryPolicy.isRetried(ModelRuntimeGrpc.getGenerateMethod()));
    assertTrue(RetryPolicy.isRetried(ModelRuntimeGrpc.getForwardBackwardMethod()));
    assertTrue(RetryPolicy.isRetried(ModelRuntimeGrpc.getGetModelInfoMethod()));
    assertTrue(RetryPolicy.isRetried(TrainerGrpc.getListJobEventsMethod()));

    assertFalse(RetryPolicy.isRetried(PromptRegistryGrpc.getPublishVersionMethod()));
    assertFalse(RetryPolicy.isRetried(PromptRegistryGrpc.getPromoteMethod()));
    assertFalse(RetryPolicy.isRetried(PromptRegistryGrpc.getImportPeftMethod()));
    assertFalse(RetryPolicy.isRetried(PromptRegistryGrpc.getDeletePromotionGateMethod()));
    assertFalse(RetryPolicy.isRetried(TrainerGrpc.getSubmitJobMethod()));
    assertFalse(RetryPolicy.isRetried(TrainerGrpc.getCancelJobMethod()));
    assertFalse(RetryPolicy.isRetried(TrainerGrpc.getWatchJobMethod()), "a server stream");
    assertFalse(RetryPolicy.isRetried(TrainerGrpc.getUploadDatasetMethod()), "a client stream");
  }

  @Test
  @SuppressWarnings("unchecked")
  void serviceConfigRetriesUnavailableOnlyForTheListedMethods() {
    Map<String, Object> config = RetryPolicy.serviceConfig();
    Map<String, Object> methodConfig = ((List<Map<String, Object>>) config.get("methodConfig")).get(0);
    Map<String, Object> retry = (Map<String, Object>) methodConfig.get("retryPolicy");
    assertEquals(List.of("UNAVAILABLE"), retry.get("retryableStatusCodes"));
    assertEquals(4.0, retry.get("maxAttempts"));
    List<Map<String, String>> names = (List<Map<String, String>>) methodConfig.get("name");
    assertTrue(names.contains(Map.of("service", "promptune.v1.PromptRegistry", "method", "GetVersion")));
    assertTrue(names.contains(Map.of("service", "promptune.v1.ModelRuntime", "method", "Score")));
    assertFalse(names.contains(Map.of("service", "promptune.v1.Trainer", "method", "SubmitJob")));
  }
}
