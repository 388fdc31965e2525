package io.promptune.registry.peft;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.LineageRelation;
import io.promptune.common.safetensors.SafetensorsFormatException;
import io.promptune.common.safetensors.SafetensorsReader;
import io.promptune.common.safetensors.SafetensorsWriter;
import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.NewVersion;
import io.promptune.registry.domain.PromptTensor;
import io.promptune.registry.domain.RawTensor;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.PeftDecoderPromptRepository;
import io.promptune.registry.persistence.PeftDecoderPromptRepository.DecoderPrompt;
import io.promptune.registry.security.Permissions;
import io.promptune.registry.service.VersionService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Versions to and from the Hugging Face PEFT prompt-tuning layout. Export then import is bit-exact.
 *
 * <p>An adapter saved with num_transformer_submodules 2 (PEFT's default for SEQ_2_SEQ_LM) holds num_virtual_tokens
 * x 2 rows. PeftModelForSeq2SeqLM's forward and generate for prompt tuning prepend only the first num_virtual_tokens
 * rows to the encoder's input embeddings and give the decoder nothing, so those rows are the version's tensor: the
 * registry serves exactly what PEFT serves. The other rows are kept beside the version (peft_decoder_prompts) only
 * so that export writes the adapter back as it came.
 */
@ApplicationScoped
public class PeftService {

  private static final String F32 = "F32";

  @Inject
  VersionService versions;

  @Inject
  Database db;

  @Inject
  PeftDecoderPromptRepository decoderPrompts;

  /** What ImportPeft asks for, besides the files. */
  public record ImportRequest(String promptName, PeftAdapter adapter, String baseModelFingerprint,
      String tokenizerFingerprint, String baseModelId, String source, boolean createPromptIfMissing, String task) {}

  public PeftAdapter export(VersionRef ref) {
    Version v = versions.get(ref, true);
    if (v.isEnsemble()) {
      // PEFT's prompt-tuning layout holds one prompt; an ensemble has none of its own. Export its members instead.
      String members = v.ensemble().members().stream().map(m -> m.promptName() + ":" + m.number())
          .collect(java.util.stream.Collectors.joining(", "));
      throw new RegistryException(io.promptune.api.v1.ErrorReason.ENSEMBLE_NOT_SUPPORTED, v.label() + " is an "
          + "ensemble (" + v.ensemble().rule() + " over " + members + "); a PEFT prompt-tuning adapter holds one "
          + "prompt, so export each member instead", Map.of("version_id", v.id().toString()));
    }
    Optional<DecoderPrompt> decoder = db.read(c -> decoderPrompts.find(c, v.id()));
    Map<String, String> hp = v.hyperparameters();
    String initText = hp.get(PeftHyperparameters.PROMPT_TUNING_INIT_TEXT);
    // PEFT refuses a TEXT config without the text and a tokenizer, so say TEXT only when both are known.
    boolean text = initText != null && (v.initMethod() == InitMethod.TEXT
        || "TEXT".equals(hp.get(PeftHyperparameters.PROMPT_TUNING_INIT)));
    PeftAdapterConfig config = new PeftAdapterConfig(v.length(), v.dModel(), v.baseModelId(),
        text ? "TEXT" : "RANDOM", text ? initText : null,
        text ? hp.getOrDefault(PeftHyperparameters.TOKENIZER_NAME_OR_PATH, v.baseModelId()) : null,
        intOrNull(hp.get(PeftHyperparameters.NUM_ATTENTION_HEADS)), intOrNull(hp.get(PeftHyperparameters.NUM_LAYERS)),
        decoder.map(DecoderPrompt::numTransformerSubmodules).orElse(1));
    byte[] rows = decoder.map(d -> concat(v.tensor(), d.tensor())).orElse(v.tensor());
    long totalRows = (long) v.length() * decoder.map(DecoderPrompt::numTransformerSubmodules).orElse(1);
    byte[] weights = SafetensorsWriter.toBytes(List.of(SafetensorsWriter.RawTensor.of(PeftAdapter.TENSOR_NAME, F32,
        new long[] {totalRows, v.dModel()}, rows)), Map.of("format", "pt"));
    return new PeftAdapter(config.toJson(), weights);
  }

  /** Parses both files strictly and publishes the prompt as a new version with an imported_from edge. */
  public Version importAdapter(CallerIdentity caller, ImportRequest request) {
    // Before parsing: a caller without the role learns that, not what is wrong with the files.
    Permissions.require(caller, Role.TRAINER, "importing a version");
    PeftAdapterConfig config = PeftAdapterConfig.parse(request.adapter().adapterConfigJson());
    byte[] file = request.adapter().adapterModelSafetensors();
    SafetensorsReader.Contents contents;
    try {
      contents = SafetensorsReader.read(file, PeftAdapter.WEIGHTS_FILE);
    } catch (SafetensorsFormatException e) {
      throw RegistryException.malformed(PeftAdapter.WEIGHTS_FILE, e.problem());
    }
    SafetensorsReader.Entry entry = promptEmbeddings(contents);
    int submodules = submodules(config, entry.shape());
    long n = config.numVirtualTokens();
    byte[] all = contents.bytes(entry);
    int encoderBytes = Math.toIntExact(n * config.tokenDim() * Float.BYTES);
    RawTensor tensor = new RawTensor(DType.FLOAT32, List.of(n, (long) config.tokenDim()),
        Arrays.copyOfRange(all, 0, encoderBytes));
    // Checked here too so that a NaN or an oversized prompt is reported against the file it came from.
    tensor.validate(versions.limits(), PeftAdapter.WEIGHTS_FILE + ": " + PeftAdapter.TENSOR_NAME);
    DecoderPrompt decoder = null;
    if (submodules == 2) {
      RawTensor rest = new RawTensor(DType.FLOAT32, List.of(n, (long) config.tokenDim()),
          Arrays.copyOfRange(all, encoderBytes, all.length));
      rest.validate(versions.limits(), PeftAdapter.WEIGHTS_FILE + ": " + PeftAdapter.TENSOR_NAME + " rows " + n
          + " to " + (2 * n - 1) + " (the decoder's half)");
      decoder = new DecoderPrompt(2, rest.data());
    }

    String baseModelId = !request.baseModelId().isBlank() ? request.baseModelId()
        : config.baseModelNameOrPath() == null ? "" : config.baseModelNameOrPath();
    if (baseModelId.isBlank()) {
      throw RegistryException.invalid("base_model_id", "base_model_id is required: " + PeftAdapterConfig.FILE
          + " has no base_model_name_or_path");
    }
    String source = !request.source().isBlank() ? request.source()
        : "peft:sha256:" + PromptTensor.sha256Hex(file);
    NewVersion version = new NewVersion(request.promptName(), tensor, baseModelId, request.baseModelFingerprint(),
        request.tokenizerFingerprint(), InitMethod.IMPORTED, "", config.hyperparameters(), Map.of(),
        List.of(new LineageEdge(null, null, source, LineageRelation.IMPORTED_FROM)), request.createPromptIfMissing(),
        request.task());
    DecoderPrompt kept = decoder;
    return versions.publish(caller, version, AuditAction.IMPORT_VERSION, (c, id) -> {
      if (kept != null) {
        decoderPrompts.insert(c, id, kept);
      }
    });
  }

  /**
   * How many submodules the rows are for. PEFT's prompt_embeddings has num_virtual_tokens x
   * num_transformer_submodules rows; a config without the field is read by the row count (1 or 2).
   */
  private static int submodules(PeftAdapterConfig config, List<Long> shape) {
    long rows = shape.get(0);
    long n = config.numVirtualTokens();
    if (shape.get(1) != config.tokenDim()) {
      throw RegistryException.malformed(PeftAdapterConfig.FILE, "num_virtual_tokens " + n + " and token_dim "
          + config.tokenDim() + " do not match " + PeftAdapter.TENSOR_NAME + " of shape " + shape + " in "
          + PeftAdapter.WEIGHTS_FILE);
    }
    Integer stated = config.numTransformerSubmodules();
    if (stated == null && (rows == n || rows == 2 * n)) {
      return (int) (rows / n);
    }
    if (stated == null || rows != n * stated) {
      throw RegistryException.malformed(PeftAdapterConfig.FILE, "num_virtual_tokens " + n
          + (stated == null ? "" : " and num_transformer_submodules " + stated) + " do not match "
          + PeftAdapter.TENSOR_NAME + " of shape " + shape + " in " + PeftAdapter.WEIGHTS_FILE + ": PEFT stores "
          + "num_virtual_tokens x num_transformer_submodules rows (" + n + " for the encoder, then " + n
          + " for the decoder when num_transformer_submodules is 2)");
    }
    return stated;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static SafetensorsReader.Entry promptEmbeddings(SafetensorsReader.Contents contents) {
    SafetensorsReader.Entry entry = contents.tensors().get(PeftAdapter.TENSOR_NAME);
    if (entry == null) {
      throw RegistryException.malformed(PeftAdapter.WEIGHTS_FILE, "no tensor named '" + PeftAdapter.TENSOR_NAME
          + "'; it holds " + contents.tensors().keySet());
    }
    if (!contents.tensors().keySet().equals(Set.of(PeftAdapter.TENSOR_NAME))) {
      throw RegistryException.malformed(PeftAdapter.WEIGHTS_FILE, "a prompt-tuning adapter holds only '"
          + PeftAdapter.TENSOR_NAME + "', this file also holds " + contents.tensors().keySet().stream()
              .filter(n -> !n.equals(PeftAdapter.TENSOR_NAME)).toList());
    }
    if (!entry.dtype().equals(F32)) {
      throw RegistryException.malformed(PeftAdapter.WEIGHTS_FILE, PeftAdapter.TENSOR_NAME + " is " + entry.dtype()
          + "; it must be F32");
    }
    if (entry.shape().size() != 2) {
      throw RegistryException.malformed(PeftAdapter.WEIGHTS_FILE, PeftAdapter.TENSOR_NAME + " has shape "
          + entry.shape() + "; it must be 2-D [num_virtual_tokens, token_dim]");
    }
    return entry;
  }

  private static Integer intOrNull(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Integer.valueOf(s.strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
