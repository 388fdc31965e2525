package io.promptune.registry.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.api.v1.ErrorReason;
import io.promptune.registry.domain.RegistryException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeftAdapterConfigTest {

  private static final PeftAdapterConfig CONFIG = new PeftAdapterConfig(20, 512, "t5-small", "RANDOM", null, null,
      8, 6, 1);

  private static String malformed(String json) {
    RegistryException e = assertThrows(RegistryException.class,
        () -> PeftAdapterConfig.parse(json.getBytes(StandardCharsets.UTF_8)));
    assertEquals(ErrorReason.MALFORMED_FILE, e.reason());
    assertTrue(e.getMessage().startsWith("adapter_config.json: "), e.getMessage());
    return e.getMessage();
  }

  private static void assertContains(String s, String part) {
    assertTrue(s.contains(part), "expected \"" + part + "\" in: " + s);
  }

  @Test
  void writesEveryPromptTuningConfigFieldSortedLikePeft() throws Exception {
    String json = new String(CONFIG.toJson(), StandardCharsets.UTF_8);
    JsonNode node = new ObjectMapper().readTree(json);
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    // The fields of peft.PromptTuningConfig (with PromptLearningConfig and PeftConfig), in sorted order.
    assertEquals(List.of("auto_mapping", "base_model_name_or_path", "inference_mode", "num_attention_heads",
        "num_layers", "num_transformer_submodules", "num_virtual_tokens", "peft_type", "prompt_tuning_init",
        "prompt_tuning_init_text", "revision", "task_type", "token_dim", "tokenizer_kwargs",
        "tokenizer_name_or_path"), keys);
    assertEquals("PROMPT_TUNING", node.get("peft_type").textValue());
    assertEquals("SEQ_2_SEQ_LM", node.get("task_type").textValue());
    assertEquals(1, node.get("num_transformer_submodules").intValue());
    assertTrue(node.get("inference_mode").booleanValue());
    assertTrue(node.get("revision").isNull());
    assertContains(json, "\"peft_type\": \"PROMPT_TUNING\"");
    assertContains(json, "\n  \"auto_mapping\": null,");
  }

  @Test
  void parsesWhatItWrites() {
    assertEquals(CONFIG, PeftAdapterConfig.parse(CONFIG.toJson()));
  }

  @Test
  void keepsTwoSubmodulesAndWritesThemBack() throws Exception {
    PeftAdapterConfig two = new PeftAdapterConfig(20, 512, "t5-small", "RANDOM", null, null, null, null, 2);
    assertEquals(two, PeftAdapterConfig.parse(two.toJson()));
    assertEquals(2, new ObjectMapper().readTree(two.toJson()).get("num_transformer_submodules").intValue());
  }

  @Test
  void parsesAMinimalFileAndIgnoresUnknownFields() {
    PeftAdapterConfig c = PeftAdapterConfig.parse(("{\"peft_type\": \"PROMPT_TUNING\", \"task_type\": "
        + "\"SEQ_2_SEQ_LM\", \"num_virtual_tokens\": 3, \"token_dim\": 8, \"peft_version\": \"0.17.0\", "
        + "\"modules_to_save\": null}").getBytes(StandardCharsets.UTF_8));
    assertEquals(3, c.numVirtualTokens());
    assertEquals(8, c.tokenDim());
    assertNull(c.baseModelNameOrPath());
    assertNull(c.numTransformerSubmodules(), "not stated: the tensor's row count decides");
  }

  @Test
  void rejectsWrongTypes() {
    String base = "\"num_virtual_tokens\": 3, \"token_dim\": 8";
    assertContains(malformed("{\"peft_type\": \"LORA\", \"task_type\": \"SEQ_2_SEQ_LM\", " + base + "}"),
        "peft_type is \"LORA\"");
    assertContains(malformed("{\"task_type\": \"SEQ_2_SEQ_LM\", " + base + "}"), "peft_type is missing");
    assertContains(malformed("{\"peft_type\": \"PROMPT_TUNING\", \"task_type\": \"CAUSAL_LM\", " + base + "}"),
        "task_type is \"CAUSAL_LM\"");
    assertContains(malformed("{\"peft_type\": \"PROMPT_TUNING\", " + base + "}"), "task_type is missing");
  }

  @Test
  void rejectsBadSizes() {
    String head = "{\"peft_type\": \"PROMPT_TUNING\", \"task_type\": \"SEQ_2_SEQ_LM\", ";
    assertContains(malformed(head + "\"token_dim\": 8}"), "num_virtual_tokens");
    assertContains(malformed(head + "\"num_virtual_tokens\": 3}"), "token_dim");
    assertContains(malformed(head + "\"num_virtual_tokens\": \"3\", \"token_dim\": 8}"), "num_virtual_tokens");
    assertContains(malformed(head + "\"num_virtual_tokens\": 0, \"token_dim\": 8}"), "num_virtual_tokens");
    assertContains(malformed(head + "\"num_virtual_tokens\": 3, \"token_dim\": 8.5}"), "token_dim");
    assertContains(malformed(head + "\"num_virtual_tokens\": 3, \"token_dim\": 8, "
        + "\"num_transformer_submodules\": 3}"), "PEFT writes 1 (a prompt for the encoder) or 2");
    assertContains(malformed(head + "\"num_virtual_tokens\": 3, \"token_dim\": 8, "
        + "\"num_transformer_submodules\": 0}"), "num_transformer_submodules is 0");
    assertContains(malformed(head + "\"num_virtual_tokens\": 3, \"token_dim\": 8, "
        + "\"base_model_name_or_path\": 7}"), "base_model_name_or_path");
  }

  @Test
  void rejectsFilesThatAreNotJsonObjects() {
    assertContains(malformed(""), "empty");
    assertContains(malformed("{"), "not valid JSON");
    assertContains(malformed("[]"), "JSON object");
    assertContains(malformed("{\"peft_type\": \"PROMPT_TUNING\", \"peft_type\": \"PROMPT_TUNING\"}"),
        "not valid JSON");
    assertContains(malformed("{\"a\": 1} trailing"), "not valid JSON");
  }
}
