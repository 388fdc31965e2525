package io.promptune.runtime.grpc;

import static io.promptune.runtime.grpc.RuntimeTestSupport.assertError;
import static io.promptune.runtime.grpc.RuntimeTestSupport.prompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.randomPrompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.stub;
import static io.promptune.runtime.grpc.RuntimeTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.grpc.Status.Code;
import io.promptune.api.Tensors;
import io.promptune.api.v1.EnvironmentVersion;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.NumberedVersion;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TrainingExample;
import io.promptune.api.v1.VersionSelector;
import io.promptune.runtime.service.ModelHost;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PromptRef.version resolves through the registry's gRPC API, cached by version id, checked against the model. */
@QuarkusTest
class RegistryPromptTest {

  static final int D = 64;

  @Inject
  ModelHost host;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  PromptVersion publish(String name, int number, float[] values, int rows, int width, String fingerprint) {
    PromptVersion v = PromptVersion.newBuilder().setId(UUID.randomUUID().toString()).setPromptName(name)
        .setNumber(number).setTensor(Tensors.float32(values, rows, width)).setLength(rows).setDModel(width)
        .setBaseModelId("tiny").setBaseModelFingerprint(fingerprint).build();
    FakeRegistryService.VERSIONS.put(v.getId(), v);
    return v;
  }

  String fingerprint() {
    return host.service().engine().fingerprint();
  }

  static ForwardBackwardResponse run(PromptRef ref) {
    return stub().forwardBackward(ForwardBackwardRequest.newBuilder().addPrompts(ref)
        .addExamples(TrainingExample.newBuilder().setInput(text("the registry prompt")).setTarget(text("works")))
        .build());
  }

  static PromptRef ref(String ref) {
    return PromptRef.newBuilder().setVersion(VersionSelector.newBuilder().setRef(ref)).build();
  }

  @Test
  void everySelectorGivesTheInlineResultAndTensorsAreCachedById() {
    float[] values = randomPrompt(42, 4 * D);
    String name = "sentiment-" + UUID.randomUUID();
    PromptVersion v = publish(name, 1, values, 4, D, fingerprint());
    FakeRegistryService.ALIASES.put(name + "@prod", v.getId());
    ForwardBackwardResponse inline = run(prompt(values, 4, D));
    int fetches = FakeRegistryService.TENSOR_FETCHES.get();
    PromptRef[] refs = {
        PromptRef.newBuilder().setVersion(VersionSelector.newBuilder().setVersionId(v.getId())).build(),
        PromptRef.newBuilder().setVersion(VersionSelector.newBuilder().setNumbered(
            NumberedVersion.newBuilder().setPromptName(name).setNumber(1))).build(),
        PromptRef.newBuilder().setVersion(VersionSelector.newBuilder().setEnvironment(
            EnvironmentVersion.newBuilder().setPromptName(name).setEnvironment("prod"))).build(),
        ref(v.getId()), ref(name + ":1"), ref(name + "@prod")};
    for (PromptRef r : refs) {
      ForwardBackwardResponse out = run(r);
      assertEquals(inline.getLoss(), out.getLoss(), 1e-6, r.toString());
      assertArrayEquals(Tensors.toFloats(inline.getPromptGradients(0), "g"),
          Tensors.toFloats(out.getPromptGradients(0), "g"), 1e-6f);
    }
    assertEquals(fetches + 1, FakeRegistryService.TENSOR_FETCHES.get(), "the tensor was fetched once, then cached");
  }

  @Test
  void environmentAliasIsReResolvedEveryCall() {
    String name = "moving-" + UUID.randomUUID();
    PromptVersion v1 = publish(name, 1, randomPrompt(1, 3 * D), 3, D, fingerprint());
    PromptVersion v2 = publish(name, 2, randomPrompt(2, 3 * D), 3, D, fingerprint());
    FakeRegistryService.ALIASES.put(name + "@prod", v1.getId());
    float first = run(ref(name + "@prod")).getLoss();
    int meta = FakeRegistryService.METADATA_FETCHES.get();
    assertEquals(first, run(ref(name + "@prod")).getLoss());
    assertEquals(meta + 1, FakeRegistryService.METADATA_FETCHES.get(), "alias asked again (metadata only)");
    FakeRegistryService.ALIASES.put(name + "@prod", v2.getId()); // a promotion
    float second = run(ref(name + "@prod")).getLoss();
    assertNotEquals(first, second);
    assertEquals(run(prompt(Tensors.toFloats(v2.getTensor(), "v2"), 3, D)).getLoss(), second, 1e-6);
  }

  @Test
  void otherBaseModelIsRejected() {
    PromptVersion other = publish("other-" + UUID.randomUUID(), 1, randomPrompt(3, 2 * D), 2, D, "ab".repeat(32));
    assertError(Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH, () -> run(ref(other.getId())),
        "prompts[0].version", other.getPromptName() + ":1", "fingerprint abababababab");
    PromptVersion wide = publish("wide-" + UUID.randomUUID(), 1, new float[2 * 128], 2, 128, fingerprint());
    assertError(Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH, () -> run(ref(wide.getId())), "d_model 128");
  }

  @Test
  void unknownVersionsAndBadRefs() {
    assertError(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> run(ref("nope@prod")), "prompts[0].version",
        "prompt registry");
    assertError(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> run(ref(UUID.randomUUID().toString())));
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> run(ref("a:b:c@")), "is not");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> run(PromptRef.newBuilder().setVersion(VersionSelector.getDefaultInstance()).build()), "no version");
  }
}
