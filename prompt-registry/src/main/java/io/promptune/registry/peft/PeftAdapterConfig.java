package io.promptune.registry.peft;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.registry.domain.RegistryException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * adapter_config.json of a PEFT prompt-tuning adapter (peft.PromptTuningConfig and its bases PromptLearningConfig
 * and PeftConfig). Only the fields the registry uses are kept; unknown fields are ignored on import so that files
 * from newer PEFT versions still load. {@code numTransformerSubmodules} is 1 or 2, or null when the file does not
 * say (then the tensor's row count decides, see PeftService).
 */
public record PeftAdapterConfig(int numVirtualTokens, int tokenDim, String baseModelNameOrPath,
    String promptTuningInit, String promptTuningInitText, String tokenizerNameOrPath, Integer numAttentionHeads,
    Integer numLayers, Integer numTransformerSubmodules) {

  public static final String FILE = "adapter_config.json";
  public static final String PEFT_TYPE = "PROMPT_TUNING";
  public static final String TASK_TYPE = "SEQ_2_SEQ_LM";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * The file PEFT's save_pretrained would write: every field of PromptTuningConfig, keys sorted, indent 2.
   * num_transformer_submodules is 1 (the prompt goes to the encoder only, the paper's setting) unless the config
   * says 2 (PEFT's seq2seq default, kept for an imported adapter that had it).
   */
  public byte[] toJson() {
    Map<String, Object> out = new TreeMap<>();
    out.put("auto_mapping", null);
    out.put("base_model_name_or_path", baseModelNameOrPath);
    out.put("inference_mode", true);
    out.put("num_attention_heads", numAttentionHeads);
    out.put("num_layers", numLayers);
    out.put("num_transformer_submodules", numTransformerSubmodules == null ? 1 : numTransformerSubmodules);
    out.put("num_virtual_tokens", numVirtualTokens);
    out.put("peft_type", PEFT_TYPE);
    out.put("prompt_tuning_init", promptTuningInit);
    out.put("prompt_tuning_init_text", promptTuningInitText);
    out.put("revision", null);
    out.put("task_type", TASK_TYPE);
    out.put("token_dim", tokenDim);
    out.put("tokenizer_kwargs", null);
    out.put("tokenizer_name_or_path", tokenizerNameOrPath);
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
        .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
    try {
      return JSON.writer(printer).writeValueAsString(out).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings and numbers always serialises", e);
    }
  }

  /** Parses and checks the file: PROMPT_TUNING for SEQ_2_SEQ_LM, one or two submodules, sizes present. */
  public static PeftAdapterConfig parse(byte[] json) {
    if (json.length == 0) {
      throw bad("the file is empty");
    }
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw bad("not valid JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw bad("unreadable: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw bad("must be a JSON object");
    }
    String peftType = text(root, "peft_type");
    if (!PEFT_TYPE.equals(peftType)) {
      throw bad("peft_type is " + quoted(peftType) + "; only \"" + PEFT_TYPE + "\" adapters can be imported");
    }
    String taskType = text(root, "task_type");
    if (!TASK_TYPE.equals(taskType)) {
      throw bad("task_type is " + quoted(taskType) + "; the registry holds prompts for T5, task_type \""
          + TASK_TYPE + "\"");
    }
    Integer submodules = integer(root, "num_transformer_submodules");
    if (submodules != null && submodules != 1 && submodules != 2) {
      throw bad("num_transformer_submodules is " + submodules + "; PEFT writes 1 (a prompt for the encoder) or 2 "
          + "(its seq2seq default: num_virtual_tokens more rows for the decoder, which seq2seq prompt tuning leaves "
          + "unused)");
    }
    Integer tokens = integer(root, "num_virtual_tokens");
    Integer dim = integer(root, "token_dim");
    if (tokens == null || tokens < 1) {
      throw bad("num_virtual_tokens must be a positive integer, got " + tokens);
    }
    if (dim == null || dim < 1) {
      throw bad("token_dim must be a positive integer, got " + dim);
    }
    return new PeftAdapterConfig(tokens, dim, text(root, "base_model_name_or_path"), text(root, "prompt_tuning_init"),
        text(root, "prompt_tuning_init_text"), text(root, "tokenizer_name_or_path"),
        integer(root, "num_attention_heads"), integer(root, "num_layers"), submodules);
  }

  /** The optional fields worth keeping with an imported version, as hyperparameters. */
  public Map<String, String> hyperparameters() {
    Map<String, String> out = new LinkedHashMap<>();
    putIfSet(out, PeftHyperparameters.PROMPT_TUNING_INIT, promptTuningInit);
    putIfSet(out, PeftHyperparameters.PROMPT_TUNING_INIT_TEXT, promptTuningInitText);
    putIfSet(out, PeftHyperparameters.TOKENIZER_NAME_OR_PATH, tokenizerNameOrPath);
    putIfSet(out, PeftHyperparameters.NUM_ATTENTION_HEADS, numAttentionHeads);
    putIfSet(out, PeftHyperparameters.NUM_LAYERS, numLayers);
    return out;
  }

  private static void putIfSet(Map<String, String> out, String key, Object value) {
    if (value != null) {
      out.put(key, value.toString());
    }
  }

  /** A string field; null when absent or JSON null. */
  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw bad(field + " must be a string, got " + n);
    }
    return n.textValue();
  }

  /** An integer field; null when absent or JSON null. */
  private static Integer integer(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw bad(field + " must be an integer, got " + n);
    }
    return n.intValue();
  }

  private static String quoted(String s) {
    return s == null ? "missing" : "\"" + s + "\"";
  }

  private static RegistryException bad(String message) {
    return RegistryException.malformed(FILE, message);
  }
}
