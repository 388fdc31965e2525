package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ExportPeftRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ImportPeftRequest;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.PeftAdapter;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.Tensor;
import io.promptune.common.safetensors.SafetensorsReader;
import io.promptune.common.safetensors.SafetensorsWriter;
import io.promptune.common.safetensors.SafetensorsWriter.RawTensor;
import io.promptune.registry.RegistryTestSupport;
import io.promptune.registry.domain.PromptTensor;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class PeftApiTest extends RegistryTestSupport {

  private static final ObjectMapper JSON = new ObjectMapper();

  private PeftAdapter export(String ref) {
    return system().exportPeft(ExportPeftRequest.newBuilder().setVersion(ref(ref)).build());
  }

  private ImportPeftRequest.Builder importRequest(String prompt, PeftAdapter adapter) {
    return ImportPeftRequest.newBuilder().setPromptName(prompt).setAdapter(adapter)
        .setBaseModelFingerprint(FINGERPRINT).setTokenizerFingerprint("sha256:tok").setCreatePromptIfMissing(true)
        .setTask("imported");
  }

  @Test
  void exportWritesPeftFiles() throws Exception {
    String p = uniqueName("export");
    Tensor t = tensor(3, 8, 11);
    system().publishVersion(publishRequest(p, t).putHyperparameters("num_attention_heads", "8")
        .putHyperparameters("num_layers", "6").build());
    PeftAdapter adapter = export(p + ":1");

    JsonNode config = JSON.readTree(adapter.getAdapterConfigJson().toByteArray());
    assertEquals("PROMPT_TUNING", config.get("peft_type").textValue());
    assertEquals("SEQ_2_SEQ_LM", config.get("task_type").textValue());
    assertEquals(3, config.get("num_virtual_tokens").intValue());
    assertEquals(8, config.get("token_dim").intValue());
    assertEquals(1, config.get("num_transformer_submodules").intValue());
    assertEquals(8, config.get("num_attention_heads").intValue());
    assertEquals(6, config.get("num_layers").intValue());
    assertEquals("t5-small", config.get("base_model_name_or_path").textValue());
    assertEquals("RANDOM", config.get("prompt_tuning_init").textValue());
    assertTrue(config.get("inference_mode").booleanValue());
    assertTrue(config.get("revision").isNull());

    SafetensorsReader.Contents file = SafetensorsReader.read(adapter.getAdapterModelSafetensors().toByteArray(), "x");
    assertEquals(List.of("prompt_embeddings"), List.copyOf(file.tensors().keySet()));
    SafetensorsReader.Entry e = file.tensors().get("prompt_embeddings");
    assertEquals("F32", e.dtype());
    assertEquals(List.of(3L, 8L), e.shape());
    assertArrayEquals(t.getData().toByteArray(), file.bytes(e));
    assertEquals(Map.of("format", "pt"), file.metadata());
  }

  @Test
  void roundTripIsBitExact() {
    String p = uniqueName("roundtrip");
    Tensor t = tensor(4, 16, 5);
    PromptVersion original = system().publishVersion(publishRequest(p, t).putHyperparameters("num_layers", "6")
        .build());
    PeftAdapter exported = export(original.getId());

    String q = uniqueName("imported");
    PromptVersion imported = as("ian", Role.TRAINER).importPeft(importRequest(q, exported).build());
    assertEquals(original.getSha256(), imported.getSha256());
    assertEquals(InitMethod.IMPORTED, imported.getInitMethod());
    assertEquals("t5-small", imported.getBaseModelId(), "from base_model_name_or_path");
    assertEquals(FINGERPRINT, imported.getBaseModelFingerprint());
    assertEquals(1, imported.getParentsCount());
    assertEquals(LineageRelation.IMPORTED_FROM, imported.getParents(0).getRelation());
    assertEquals("peft:sha256:" + PromptTensor.sha256Hex(exported.getAdapterModelSafetensors().toByteArray()),
        imported.getParents(0).getParentExternalRef());
    assertEquals(t, system().getVersion(GetVersionRequest.newBuilder().setVersion(id(imported.getId())).build())
        .getTensor());

    // And back out: the same two files, byte for byte.
    PeftAdapter again = export(imported.getId());
    assertEquals(exported.getAdapterModelSafetensors(), again.getAdapterModelSafetensors());
    assertEquals(exported.getAdapterConfigJson().toStringUtf8(), again.getAdapterConfigJson().toStringUtf8());

    List<AuditEvent> log = system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(q).build())
        .getEventsList();
    assertEquals(List.of(AuditAction.CREATE_PROMPT, AuditAction.IMPORT_VERSION),
        log.stream().map(AuditEvent::getAction).toList());
    assertEquals("ian", log.get(1).getActor());
  }

  @Test
  void importRecordsSourceAndOverrides() {
    String p = uniqueName("src");
    PromptVersion v = publish(p, 2, 4);
    PromptVersion imported = system().importPeft(importRequest(p, export(v.getId())).setSource("hf://org/adapter")
        .setBaseModelId("google/t5-v1_1-small").build());
    assertEquals(2, imported.getNumber(), "imports into an existing prompt get the next number");
    assertEquals("hf://org/adapter", imported.getParents(0).getParentExternalRef());
    assertEquals("google/t5-v1_1-small", imported.getBaseModelId());
  }

  @Test
  void textInitExportsTheText() throws Exception {
    String p = uniqueName("text");
    system().publishVersion(publishRequest(p, tensor(2, 4, 1)).setInitMethod(InitMethod.TEXT)
        .putHyperparameters("prompt_tuning_init_text", "Classify the sentiment:").build());
    JsonNode config = JSON.readTree(export(p + ":1").getAdapterConfigJson().toByteArray());
    assertEquals("TEXT", config.get("prompt_tuning_init").textValue());
    assertEquals("Classify the sentiment:", config.get("prompt_tuning_init_text").textValue());
    assertEquals("t5-small", config.get("tokenizer_name_or_path").textValue());
  }

  @Test
  void malformedAdaptersAreRejected() {
    String p = uniqueName("bad-import");
    PeftAdapter good = export(publish(uniqueName("src"), 2, 4).getId());
    byte[] config = good.getAdapterConfigJson().toByteArray();
    byte[] weights = good.getAdapterModelSafetensors().toByteArray();

    // Bad safetensors.
    assertContains(importFails(p, config, new byte[3]), "8-byte header length");
    assertContains(importFails(p, config, withTrailingByte(weights)), "trailing");
    assertContains(importFails(p, config, tensorFile("other", "F32", List.of(2L, 4L), new byte[32])),
        "no tensor named 'prompt_embeddings'");
    assertContains(importFails(p, config, twoTensors()), "also holds [extra]");
    assertContains(importFails(p, config, tensorFile("prompt_embeddings", "F16", List.of(2L, 4L), new byte[16])),
        "must be F32");
    assertContains(importFails(p, config, tensorFile("prompt_embeddings", "F32", List.of(2L, 2L, 2L),
        new byte[32])), "2-D");
    // Config that does not match the tensor, or is not a seq2seq prompt-tuning config.
    assertContains(importFails(p, replace(config, "\"token_dim\": 4", "\"token_dim\": 5"), weights),
        "do not match");
    assertContains(importFails(p, replace(config, "\"num_virtual_tokens\": 2", "\"num_virtual_tokens\": 3"),
        weights), "do not match");
    assertContains(importFails(p, replace(config, "PROMPT_TUNING", "PREFIX_TUNING"), weights), "peft_type");
    assertContains(importFails(p, replace(config, "SEQ_2_SEQ_LM", "CAUSAL_LM"), weights), "task_type");
    assertContains(importFails(p, "not json".getBytes(StandardCharsets.UTF_8), weights), "adapter_config.json");
  }

  @Test
  void badValuesAndFieldsAreRejected() {
    String p = uniqueName("bad-values");
    PeftAdapter good = export(publish(uniqueName("src"), 2, 4).getId());
    byte[] nan = new byte[32];
    ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(12, Float.NaN);
    String msg = assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_TENSOR, () -> system().importPeft(
        importRequest(p, good.toBuilder().setAdapterModelSafetensors(ByteString.copyFrom(
            tensorFile("prompt_embeddings", "F32", List.of(2L, 4L), nan))).build()).build()));
    assertContains(msg, "adapter_model.safetensors");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().importPeft(
        importRequest(p, good.toBuilder().setAdapterConfigJson(ByteString.copyFrom(replace(
            good.getAdapterConfigJson().toByteArray(), "\"base_model_name_or_path\": \"t5-small\"",
            "\"base_model_name_or_path\": null"))).build()).build())), "base_model_id");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().importPeft(
        importRequest(p, good).setBaseModelFingerprint("").build())), "base_model_fingerprint");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED, () -> as("v", Role.VIEWER).importPeft(
        importRequest(p, good).build()));
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().exportPeft(ExportPeftRequest.newBuilder()
        .setVersion(ref(p + ":1")).build()));
  }

  /** Little-endian float32 bytes of {@code values}, as safetensors stores F32. */
  private static byte[] f32(float... values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    return buf.array();
  }

  private static PeftAdapter adapter(String configJson, byte[] weights) {
    return PeftAdapter.newBuilder().setAdapterConfigJson(ByteString.copyFromUtf8(configJson))
        .setAdapterModelSafetensors(ByteString.copyFrom(weights)).build();
  }

  private static final String TWO_SUBMODULE_CONFIG = "{\"peft_type\": \"PROMPT_TUNING\", \"task_type\": "
      + "\"SEQ_2_SEQ_LM\", \"num_virtual_tokens\": 2, \"token_dim\": 3, \"num_transformer_submodules\": 2, "
      + "\"base_model_name_or_path\": \"t5-small\", \"peft_version\": \"0.17.0\"}";

  /**
   * PEFT's seq2seq default: prompt_embeddings holds num_virtual_tokens x 2 rows and PeftModelForSeq2SeqLM feeds the
   * encoder prompts[:, :num_virtual_tokens] only. Values chosen by hand: rows 0-1 are the encoder's prompt, rows 2-3
   * the decoder's half.
   */
  @Test
  void twoSubmoduleAdapterServesTheEncoderRowsAndExportsAsItCame() throws Exception {
    byte[] encoder = f32(1f, 2f, 3f, 4f, 5f, 6f);
    byte[] weights = SafetensorsWriter.toBytes(List.of(RawTensor.of("prompt_embeddings", "F32", new long[] {4, 3},
        f32(1f, 2f, 3f, 4f, 5f, 6f, -1f, -2f, -3f, 0.5f, 0.25f, 0.125f))), Map.of("format", "pt"));
    String p = uniqueName("two-sub");
    PromptVersion imported = system().importPeft(importRequest(p, adapter(TWO_SUBMODULE_CONFIG, weights)).build());

    // Served P = the first num_virtual_tokens rows, exactly what PEFT prepends to the encoder input.
    assertEquals(2, imported.getLength());
    assertEquals(3, imported.getDModel());
    assertEquals(PromptTensor.sha256Hex(encoder), imported.getSha256());
    Tensor served = system().getVersion(GetVersionRequest.newBuilder().setVersion(id(imported.getId())).build())
        .getTensor();
    assertEquals(List.of(2L, 3L), served.getShapeList());
    assertArrayEquals(encoder, served.getData().toByteArray());

    // Export gives back the same weights file (same writer, same metadata) and num_transformer_submodules 2.
    PeftAdapter exported = export(imported.getId());
    assertEquals(PromptTensor.sha256Hex(weights),
        PromptTensor.sha256Hex(exported.getAdapterModelSafetensors().toByteArray()));
    JsonNode config = JSON.readTree(exported.getAdapterConfigJson().toByteArray());
    assertEquals(2, config.get("num_transformer_submodules").intValue());
    assertEquals(2, config.get("num_virtual_tokens").intValue());
    assertEquals(3, config.get("token_dim").intValue());

    // export -> import -> export: identical bytes, and the same served prompt.
    PromptVersion again = system().importPeft(importRequest(uniqueName("two-sub-again"), exported).build());
    PeftAdapter reexported = export(again.getId());
    assertEquals(PromptTensor.sha256Hex(exported.getAdapterModelSafetensors().toByteArray()),
        PromptTensor.sha256Hex(reexported.getAdapterModelSafetensors().toByteArray()));
    assertEquals(PromptTensor.sha256Hex(exported.getAdapterConfigJson().toByteArray()),
        PromptTensor.sha256Hex(reexported.getAdapterConfigJson().toByteArray()));
    assertEquals(imported.getSha256(), again.getSha256());
    assertArrayEquals(encoder, system().getVersion(GetVersionRequest.newBuilder().setVersion(id(again.getId()))
        .build()).getTensor().getData().toByteArray());
  }

  @Test
  void unstatedSubmodulesAreReadFromTheRowCount() throws Exception {
    String config = TWO_SUBMODULE_CONFIG.replace("\"num_transformer_submodules\": 2, ", "");
    byte[] weights = SafetensorsWriter.toBytes(List.of(RawTensor.of("prompt_embeddings", "F32", new long[] {4, 3},
        f32(9f, 8f, 7f, 6f, 5f, 4f, 3f, 2f, 1f, 0f, -1f, -2f))), Map.of("format", "pt"));
    PromptVersion v = system().importPeft(importRequest(uniqueName("unstated"), adapter(config, weights)).build());
    assertEquals(PromptTensor.sha256Hex(f32(9f, 8f, 7f, 6f, 5f, 4f)), v.getSha256());
    assertEquals(2, JSON.readTree(export(v.getId()).getAdapterConfigJson().toByteArray())
        .get("num_transformer_submodules").intValue());
  }

  @Test
  void layoutsPeftDoesNotWriteAreRefused() {
    String p = uniqueName("bad-layout");
    byte[] config = TWO_SUBMODULE_CONFIG.getBytes(StandardCharsets.UTF_8);
    // 3 rows for num_virtual_tokens 2 x 2 submodules.
    assertContains(importFails(p, config, tensorFile("prompt_embeddings", "F32", List.of(3L, 3L), new byte[36])),
        "PEFT stores num_virtual_tokens x num_transformer_submodules rows");
    // Unstated, and neither N nor 2N rows.
    assertContains(importFails(p, replace(config, "\"num_transformer_submodules\": 2, ", ""),
        tensorFile("prompt_embeddings", "F32", List.of(6L, 3L), new byte[72])), "do not match");
    assertContains(importFails(p, replace(config, "\"num_transformer_submodules\": 2",
        "\"num_transformer_submodules\": 3"), tensorFile("prompt_embeddings", "F32", List.of(6L, 3L), new byte[72])),
        "PEFT writes 1 (a prompt for the encoder) or 2");
    // A NaN in the decoder's half is refused too: export would hand it back.
    byte[] nan = f32(1f, 2f, 3f, 4f, 5f, 6f, 0f, Float.NaN, 0f, 0f, 0f, 0f);
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_TENSOR, () -> system().importPeft(
        importRequest(p, adapter(TWO_SUBMODULE_CONFIG, tensorFile("prompt_embeddings", "F32", List.of(4L, 3L), nan)))
            .build())), "decoder's half");
  }

  private String importFails(String prompt, byte[] config, byte[] weights) {
    PeftAdapter adapter = PeftAdapter.newBuilder().setAdapterConfigJson(ByteString.copyFrom(config))
        .setAdapterModelSafetensors(ByteString.copyFrom(weights)).build();
    return assertFails(Code.INVALID_ARGUMENT, ErrorReason.MALFORMED_FILE,
        () -> system().importPeft(importRequest(prompt, adapter).build()));
  }

  private static byte[] tensorFile(String name, String dtype, List<Long> shape, byte[] data) {
    return SafetensorsWriter.toBytes(List.of(RawTensor.of(name, dtype,
        shape.stream().mapToLong(Long::longValue).toArray(), data)), Map.of());
  }

  private static byte[] twoTensors() {
    return SafetensorsWriter.toBytes(List.of(RawTensor.of("prompt_embeddings", "F32", new long[] {2, 4},
        new byte[32]), RawTensor.of("extra", "F32", new long[] {1}, new byte[4])), Map.of());
  }

  private static byte[] withTrailingByte(byte[] file) {
    return java.util.Arrays.copyOf(file, file.length + 1);
  }

  private static byte[] replace(byte[] json, String from, String to) {
    String s = new String(json, StandardCharsets.UTF_8);
    assertTrue(s.contains(from), s);
    return s.replace(from, to).getBytes(StandardCharsets.UTF_8);
  }
}
