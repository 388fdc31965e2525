package io.promptune.registry.peft;

/** The two files of a PEFT prompt-tuning adapter directory. */
public record PeftAdapter(byte[] adapterConfigJson, byte[] adapterModelSafetensors) {

  public static final String WEIGHTS_FILE = "adapter_model.safetensors";
  public static final String TENSOR_NAME = "prompt_embeddings";
}
