package io.promptune.registry.peft;

/**
 * Hyperparameter keys that carry PEFT config fields the registry has no column for. Import writes them, export
 * reads them back (a trainer may set them too: num_attention_heads and num_layers describe the base model).
 */
public final class PeftHyperparameters {

  public static final String PROMPT_TUNING_INIT = "prompt_tuning_init";
  public static final String PROMPT_TUNING_INIT_TEXT = "prompt_tuning_init_text";
  public static final String TOKENIZER_NAME_OR_PATH = "tokenizer_name_or_path";
  public static final String NUM_ATTENTION_HEADS = "num_attention_heads";
  public static final String NUM_LAYERS = "num_layers";

  private PeftHyperparameters() {}
}
