package io.promptune.runtime.grpc;

import static io.promptune.runtime.grpc.RuntimeTestSupport.assertError;
import static io.promptune.runtime.grpc.RuntimeTestSupport.ids;
import static io.promptune.runtime.grpc.RuntimeTestSupport.prompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.randomPrompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.stub;
import static io.promptune.runtime.grpc.RuntimeTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.promptune.api.Tensors;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TrainingExample;
import io.promptune.api.v1.Truncation;
import io.promptune.runtime.service.ModelHost;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every kind of bad request gets a precise status, reason and message, and the server keeps serving. */
@QuarkusTest
class BadInputTest {

  static final int D = 64;

  @Inject
  ModelHost host;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  @AfterEach
  void stillServing() {
    assertEquals(D, stub().getModelInfo(GetModelInfoRequest.getDefaultInstance()).getDModel());
    fb(ForwardBackwardRequest.newBuilder().addPrompts(prompt(randomPrompt(1, D), 1, D)).addExamples(example("a", "b")));
  }

  static TrainingExample.Builder example(String in, String target) {
    return TrainingExample.newBuilder().setInput(text(in)).setTarget(text(target));
  }

  static ForwardBackwardResponse fb(ForwardBackwardRequest.Builder r) {
    return stub().forwardBackward(r.build());
  }

  static ForwardBackwardRequest.Builder withPrompt(Tensor t) {
    return ForwardBackwardRequest.newBuilder().addPrompts(PromptRef.newBuilder().setTensor(t))
        .addExamples(example("hello", "world"));
  }

  @Test
  void wrongPromptWidth() {
    assertError(Code.INVALID_ARGUMENT, ErrorReason.SHAPE_MISMATCH,
        () -> fb(withPrompt(Tensors.float32(new float[5 * 32], 5, 32))), "prompts[0].tensor", "width is 32",
        "d_model is 64");
  }

  @Test
  void wrongPromptRank() {
    assertError(Code.INVALID_ARGUMENT, ErrorReason.SHAPE_MISMATCH,
        () -> fb(withPrompt(Tensors.float32(new float[2 * 5 * D], 2, 5, D))), "prompts[0].tensor", "rank 3");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.SHAPE_MISMATCH,
        () -> fb(withPrompt(Tensors.float32(new float[D], D))), "rank 1");
  }

  @Test
  void badTensorBytesAndDtype() {
    Tensor shortData = Tensor.newBuilder().setDtype(DType.FLOAT32).addShape(2).addShape(D)
        .setData(ByteString.copyFrom(new byte[7])).build();
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_TENSOR, () -> fb(withPrompt(shortData)),
        "prompts[0].tensor", "needs 512 bytes, got 7");
    Tensor f16 = shortData.toBuilder().setDtype(DType.FLOAT16).build();
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_TENSOR, () -> fb(withPrompt(f16)), "FLOAT32");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_TENSOR,
        () -> fb(withPrompt(Tensors.float32(new float[0], 0, D))), "at least one");
  }

  @Test
  void nanAndInfinity() {
    float[] v = randomPrompt(2, 3 * D);
    v[D + 7] = Float.NaN;
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_TENSOR, () -> fb(withPrompt(Tensors.float32(v, 3, D))),
        "prompts[0].tensor", "element [1, 7] is NaN");
    v[D + 7] = 0;
    v[2 * D] = Float.NEGATIVE_INFINITY;
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_TENSOR, () -> fb(withPrompt(Tensors.float32(v, 3, D))),
        "element [2, 0] is -Infinity");
  }

  @Test
  void emptyBatchesAndStrings() {
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT, () -> fb(ForwardBackwardRequest.newBuilder()),
        "examples", "empty");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT,
        () -> fb(ForwardBackwardRequest.newBuilder().addExamples(example("", "x"))), "examples[0].input", "empty");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT,
        () -> fb(ForwardBackwardRequest.newBuilder().addExamples(example("x", "y")).addExamples(example("x", ""))),
        "examples[1].target");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT, () -> fb(ForwardBackwardRequest.newBuilder()
        .addExamples(TrainingExample.newBuilder().setInput(ids()).setTarget(text("y")))), "examples[0].input",
        "ids is empty");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT, () -> fb(ForwardBackwardRequest.newBuilder()
        .addExamples(TrainingExample.newBuilder().setTarget(text("y")))), "neither text nor ids");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT,
        () -> stub().score(ScoreRequest.newBuilder().addExamples(ScoreExample.newBuilder().setInput(text("x")))
            .build()), "examples[0].candidates");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT,
        () -> stub().generate(GenerateRequest.getDefaultInstance()), "inputs");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT,
        () -> stub().embedTokens(EmbedTokensRequest.getDefaultInstance()), "ids");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.EMPTY_INPUT,
        () -> stub().nearestTokens(NearestTokensRequest.getDefaultInstance()), "prompt");
  }

  @Test
  void inputTooLongIsRejectedByDefault() {
    int[] long600 = new int[600];
    Arrays.fill(long600, 37);
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INPUT_TOO_LONG, () -> fb(ForwardBackwardRequest.newBuilder()
            .addExamples(example("fine", "ok"))
            .addExamples(TrainingExample.newBuilder().setInput(ids(long600)).setTarget(text("x")))),
        "examples[1].input", "600 tokens", "limit of 512", "TRUNCATE");
    String longText = "word ".repeat(700);
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INPUT_TOO_LONG,
        () -> stub().generate(GenerateRequest.newBuilder().addInputs(GenerateInput.newBuilder()
            .setInput(text(longText))).build()), "inputs[0].input");
    int[] longTarget = new int[300];
    Arrays.fill(longTarget, 5);
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INPUT_TOO_LONG, () -> fb(ForwardBackwardRequest.newBuilder()
            .setTruncation(Truncation.TRUNCATE)
            .addExamples(TrainingExample.newBuilder().setInput(text("x")).setTarget(ids(longTarget)))),
        "examples[0].target", "limit of 256");
  }

  @Test
  void truncateKeepsLimitMinusOneTokensAndEos() {
    int[] long600 = new int[600];
    Arrays.fill(long600, 37);
    int[] cut = new int[512];
    Arrays.fill(cut, 37);
    cut[511] = 1;
    ForwardBackwardResponse truncated = fb(ForwardBackwardRequest.newBuilder().setTruncation(Truncation.TRUNCATE)
        .setForwardOnly(true).addExamples(TrainingExample.newBuilder().setInput(ids(long600)).setTarget(text("x")))
        .addExamples(example("short", "x")));
    ForwardBackwardResponse explicit = fb(ForwardBackwardRequest.newBuilder().setForwardOnly(true)
        .addExamples(TrainingExample.newBuilder().setInput(ids(cut)).setTarget(text("x"))));
    assertTrue(truncated.getExamples(0).getTruncated());
    assertFalse(truncated.getExamples(1).getTruncated());
    assertEquals(explicit.getExamples(0).getSumNll(), truncated.getExamples(0).getSumNll(), 1e-4);
  }

  @Test
  void unknownTokenIds() {
    assertError(Code.INVALID_ARGUMENT, ErrorReason.UNKNOWN_TOKEN_ID, () -> fb(ForwardBackwardRequest.newBuilder()
            .addExamples(TrainingExample.newBuilder().setInput(ids(5, 32128)).setTarget(text("x")))),
        "examples[0].input.ids[1]", "32128", "[0, 32128)");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.UNKNOWN_TOKEN_ID, () -> fb(ForwardBackwardRequest.newBuilder()
        .addExamples(TrainingExample.newBuilder().setInput(text("x")).setTarget(ids(-3, 1)))), "examples[0].target");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.UNKNOWN_TOKEN_ID,
        () -> stub().embedTokens(EmbedTokensRequest.newBuilder().addIds(1).addIds(99999).build()), "ids[1]");
  }

  @Test
  void promptIndexOutOfRange() {
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> fb(ForwardBackwardRequest.newBuilder()
            .addPrompts(prompt(randomPrompt(1, D), 1, D)).addExamples(example("a", "b"))
            .addExamples(example("c", "d").setPromptIndex(2))),
        "examples[1].prompt_index", "is 2", "1 prompt(s)");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> stub().score(ScoreRequest.newBuilder()
        .addPrompts(prompt(randomPrompt(1, D), 1, D)).addExamples(ScoreExample.newBuilder().setInput(text("x"))
            .addCandidates(text("y")).setPromptIndex(-2)).build()), "examples[0].prompt_index");
  }

  @Test
  void overBudgetRequests() {
    ForwardBackwardRequest.Builder many = ForwardBackwardRequest.newBuilder();
    for (int i = 0; i < 257; i++) {
      many.addExamples(example("a", "b"));
    }
    assertError(Code.RESOURCE_EXHAUSTED, ErrorReason.REQUEST_TOO_LARGE, () -> fb(many), "examples", "257",
        "limit of 256", "split");
    // 200 examples × (1000 prompt rows + 500 input + 200 target) tokens > 262144
    int[] in = new int[500];
    Arrays.fill(in, 37);
    int[] tg = new int[200];
    Arrays.fill(tg, 5);
    ForwardBackwardRequest.Builder tokens = ForwardBackwardRequest.newBuilder()
        .addPrompts(prompt(new float[1000 * D], 1000, D));
    for (int i = 0; i < 200; i++) {
      tokens.addExamples(TrainingExample.newBuilder().setInput(ids(in)).setTarget(ids(tg)));
    }
    assertError(Code.RESOURCE_EXHAUSTED, ErrorReason.REQUEST_TOO_LARGE, () -> fb(tokens), "262144 tokens",
        "max-request-tokens");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.SHAPE_MISMATCH,
        () -> fb(withPrompt(Tensors.float32(new float[1025 * D], 1025, D))), "1025 rows", "max-prompt-length");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> stub().generate(GenerateRequest.newBuilder()
        .addInputs(GenerateInput.newBuilder().setInput(text("x"))).setNumBeams(17).build()), "num_beams", "17");
    assertError(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> stub().nearestTokens(
        NearestTokensRequest.newBuilder().setPrompt(prompt(randomPrompt(1, D), 1, D)).setK(101).build()), "k");
  }

  /** The server's max-inbound-message-size (8 MiB in tests) answers RESOURCE_EXHAUSTED before any parsing. */
  @Test
  void oversizedMessage() {
    int rows = 9 * 1024 * 1024 / (4 * D) + 1;
    assertError(Code.RESOURCE_EXHAUSTED, null,
        () -> fb(withPrompt(Tensors.float32(new float[rows * D], rows, D))));
  }

  @Test
  void expectedFingerprintMismatch() {
    assertError(Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH, () -> fb(ForwardBackwardRequest.newBuilder()
            .setExpectedModelFingerprint("00ff").addExamples(example("a", "b"))), "expected_model_fingerprint",
        "00ff");
  }

  @Test
  void idsAreUsedAsGivenWithoutEos() {
    Text noEos = ids(37, 629);
    ForwardBackwardResponse a = fb(ForwardBackwardRequest.newBuilder().setForwardOnly(true)
        .addExamples(TrainingExample.newBuilder().setInput(noEos).setTarget(ids(19))));
    assertEquals(1, a.getNumTargetTokens());
  }
}
