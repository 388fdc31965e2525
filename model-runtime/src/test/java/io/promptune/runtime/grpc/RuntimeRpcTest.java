package io.promptune.runtime.grpc;

import static io.promptune.runtime.grpc.RuntimeTestSupport.ids;
import static io.promptune.runtime.grpc.RuntimeTestSupport.prompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.randomPrompt;
import static io.promptune.runtime.grpc.RuntimeTestSupport.stub;
import static io.promptune.runtime.grpc.RuntimeTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.api.Tensors;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.EmbedTokensResponse;
import io.promptune.api.v1.FinishReason;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.api.v1.NearestTokensResponse;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;
import io.promptune.api.v1.TrainingExample;
import io.promptune.runtime.engine.Golden;
import io.promptune.runtime.service.ModelHost;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every RPC over real gRPC against the real engine on the golden tiny-t5-v1_0 checkpoint. */
@QuarkusTest
class RuntimeRpcTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final int D = 64;

  @Inject
  ModelHost host;

  @BeforeEach
  void ready() throws InterruptedException {
    RuntimeTestSupport.awaitModel(host);
  }

  static JsonNode golden(String file) throws IOException {
    return JSON.readTree(Golden.model("tiny-t5-v1_0").resolve(file).toFile());
  }

  @Test
  void modelInfo() {
    ModelInfo info = stub().getModelInfo(GetModelInfoRequest.getDefaultInstance());
    assertTrue(info.getModelId().endsWith("tiny-t5-v1_0"), info.getModelId());
    assertEquals(host.service().engine().fingerprint(), info.getFingerprint());
    assertTrue(info.getFingerprint().matches("[0-9a-f]{64}"));
    assertEquals(64, info.getTokenizerFingerprint().length());
    assertEquals("t5-v1_0", info.getArchitecture());
    assertEquals(D, info.getDModel());
    assertEquals(16, info.getDKv());
    assertEquals(4, info.getNumHeads());
    assertEquals(2, info.getNumLayers());
    assertEquals(32128, info.getVocabSize());
    assertEquals(1, info.getEosTokenId());
    assertEquals(512, info.getMaxInputTokens());
    assertEquals(256, info.getMaxBatchExamples());
    assertEquals("cpu", info.getDevice());
    assertEquals("float32", info.getWeightsDtype());
  }

  @Test
  void tokenize() {
    TokenizeResponse r = stub().tokenize(TokenizeRequest.newBuilder().addTexts("The house is wonderful.")
        .addTexts("").setAddEos(true).build());
    assertArrayEquals(new int[] {37, 629, 19, 1627, 5, 1},
        r.getTexts(0).getIdsList().stream().mapToInt(Integer::intValue).toArray());
    assertEquals(r.getTexts(0).getIdsCount(), r.getTexts(0).getPiecesCount());
    assertEquals(List.of(1), r.getTexts(1).getIdsList());
  }

  /** The service path (proto → engine → proto) reproduces Hugging Face's loss and d loss / d P. */
  @Test
  void forwardBackwardMatchesGolden() throws IOException {
    for (JsonNode c : golden("prompt_cases.json").get("cases")) {
      String name = c.get("name").asText();
      boolean shared = c.get("prompt_shared_across_batch").asBoolean();
      ForwardBackwardRequest.Builder req = ForwardBackwardRequest.newBuilder()
          .setExpectedModelFingerprint(host.service().engine().fingerprint());
      List<JsonNode> prompts = new ArrayList<>();
      if (shared) {
        prompts.add(c.get("prompt"));
      } else {
        c.get("prompt").forEach(prompts::add);
      }
      for (JsonNode p : prompts) {
        req.addPrompts(prompt(floats(p), p.size(), D));
      }
      for (int e = 0; e < c.get("input_ids").size(); e++) {
        List<Integer> in = new ArrayList<>();
        for (int j = 0; j < c.get("input_ids").get(e).size(); j++) {
          if (c.get("attention_mask").get(e).get(j).asInt() == 1) {
            in.add(c.get("input_ids").get(e).get(j).asInt());
          }
        }
        List<Integer> lab = new ArrayList<>();
        c.get("labels").get(e).forEach(x -> {
          if (x.asInt() != -100) {
            lab.add(x.asInt());
          }
        });
        req.addExamples(TrainingExample.newBuilder().setInput(ids(toArray(in))).setTarget(ids(toArray(lab)))
            .setPromptIndex(shared ? 0 : e));
      }
      ForwardBackwardResponse r = stub().forwardBackward(req.build());
      double loss = c.get("loss").asDouble();
      assertEquals(loss, r.getLoss(), 1e-4 * Math.max(1, Math.abs(loss)), name + " loss");
      assertEquals(c.get("num_label_tokens").asInt(), r.getNumTargetTokens(), name);
      for (int p = 0; p < prompts.size(); p++) {
        float[] want = floats(shared ? c.get("prompt_grad") : c.get("prompt_grad").get(p));
        float[] got = Tensors.toFloats(r.getPromptGradients(p), "grad");
        assertClose(want, got, 1e-4, name + " prompt " + p + " gradient");
      }
    }
  }

  @Test
  void generateGreedyMatchesGolden() throws IOException {
    JsonNode g = golden("greedy.json");
    PromptRef p = prompt(floats(g.get("prompt")), g.get("prompt").size(), D);
    for (JsonNode in : g.get("inputs")) {
      int[] input = toArray(in.get("input_ids"));
      for (boolean withPrompt : new boolean[] {false, true}) {
        GenerateRequest.Builder req = GenerateRequest.newBuilder().setMaxNewTokens(g.get("max_new_tokens").asInt())
            .addInputs(GenerateInput.newBuilder().setInput(ids(input)));
        if (withPrompt) {
          req.addPrompts(p);
        }
        GenerateResponse r = stub().generate(req.build());
        int[] want = toArray(in.get(withPrompt ? "with_prompt" : "no_prompt").get("generated_ids"));
        assertArrayEquals(want, r.getGenerations(0).getTokenIdsList().stream().mapToInt(Integer::intValue).toArray(),
            in.get("name").asText() + (withPrompt ? " with prompt" : " no prompt"));
        assertEquals(FinishReason.LENGTH, r.getGenerations(0).getFinishReason());
        assertFalse(r.getGenerations(0).getText().isEmpty());
      }
    }
  }

  /** beam_search.json's tiny-t5-v1_0 cases over real gRPC (checks as in {@link GoldenBeamSearchTest}). */
  @Test
  void generateBeamSearchMatchesGolden() {
    for (JsonNode c : GoldenBeamSearchTest.cases("tiny-t5-v1_0")) {
      GoldenBeamSearchTest.check("tiny-t5-v1_0/" + c.get("name").asText() + " over gRPC", c,
          stub().generate(GoldenBeamSearchTest.request(c)).getGenerations(0));
    }
  }

  @Test
  void beamSearchAndTextInputs() {
    float[] pv = randomPrompt(3, 4 * D);
    GenerateResponse r = stub().generate(GenerateRequest.newBuilder().addPrompts(prompt(pv, 4, D))
        .addInputs(GenerateInput.newBuilder().setInput(text("translate English to German: The house is wonderful.")))
        .addInputs(GenerateInput.newBuilder().setInput(text("sst2 sentence: it is a charming film")).setPromptIndex(-1))
        .setNumBeams(3).setMaxNewTokens(6).build());
    assertEquals(2, r.getGenerationsCount());
    for (var gen : r.getGenerationsList()) {
      assertTrue(gen.getTokenIdsCount() >= 1 && gen.getTokenIdsCount() <= 6, gen.toString());
      boolean eos = gen.getTokenIds(gen.getTokenIdsCount() - 1) == 1;
      assertEquals(eos ? FinishReason.EOS : FinishReason.LENGTH, gen.getFinishReason());
      assertTrue(gen.getSumLogProb() < 0);
    }
  }

  /** Rank classification agrees with teacher forcing: sum log p(candidate) = -sum NLL of the same target. */
  @Test
  void scoreAgreesWithForwardBackward() {
    float[] pv = randomPrompt(5, 3 * D);
    PromptRef p = prompt(pv, 3, D);
    String input = "sst2 sentence: a gripping, funny and moving film";
    String[] labels = {"positive", "negative", "neutral"};
    ScoreResponse s = stub().score(ScoreRequest.newBuilder().addPrompts(p).addExamples(ScoreExample.newBuilder()
        .setInput(text(input)).addCandidates(text(labels[0])).addCandidates(text(labels[1]))
        .addCandidates(text(labels[2]))).build());
    int best = 0;
    for (int c = 0; c < labels.length; c++) {
      ForwardBackwardResponse fb = stub().forwardBackward(ForwardBackwardRequest.newBuilder().addPrompts(p)
          .setForwardOnly(true).addExamples(TrainingExample.newBuilder().setInput(text(input))
              .setTarget(text(labels[c]))).build());
      var cs = s.getExamples(0).getCandidates(c);
      assertEquals(-fb.getExamples(0).getSumNll(), cs.getSumLogProb(), 1e-4 * Math.abs(cs.getSumLogProb()));
      assertEquals(fb.getExamples(0).getNumTargetTokens(), cs.getNumTokens());
      assertEquals(cs.getSumLogProb() / cs.getNumTokens(), cs.getMeanLogProb(), 1e-12);
      assertEquals(0, fb.getPromptGradientsCount(), "forward_only returns no gradients");
      if (cs.getSumLogProb() > s.getExamples(0).getCandidates(best).getSumLogProb()) {
        best = c;
      }
    }
    assertEquals(best, s.getExamples(0).getBestIndex());
  }

  @Test
  void perExampleLossesAndUnusedPrompt() {
    float[] a = randomPrompt(11, 2 * D);
    float[] b = randomPrompt(12, 5 * D);
    ForwardBackwardResponse r = stub().forwardBackward(ForwardBackwardRequest.newBuilder()
        .addPrompts(prompt(a, 2, D)).addPrompts(prompt(b, 5, D)).addPrompts(prompt(b, 5, D))
        .addExamples(TrainingExample.newBuilder().setInput(text("one two three")).setTarget(text("four")))
        .addExamples(TrainingExample.newBuilder().setInput(text("five")).setTarget(text("six seven")).setPromptIndex(1))
        .addExamples(TrainingExample.newBuilder().setInput(text("eight")).setTarget(text("nine")).setPromptIndex(-1))
        .build());
    double sum = 0;
    int tokens = 0;
    for (var e : r.getExamplesList()) {
      assertEquals(e.getSumNll() / e.getNumTargetTokens(), e.getLoss(), 1e-5);
      sum += e.getSumNll();
      tokens += e.getNumTargetTokens();
    }
    assertEquals(tokens, r.getNumTargetTokens());
    assertEquals(sum / tokens, r.getLoss(), 1e-5);
    assertEquals(3, r.getPromptGradientsCount());
    assertEquals(List.of(2L, (long) D), r.getPromptGradients(0).getShapeList());
    assertEquals(List.of(5L, (long) D), r.getPromptGradients(1).getShapeList());
    float[] unused = Tensors.toFloats(r.getPromptGradients(2), "g");
    for (float v : unused) {
      assertEquals(0f, v, "a prompt no example uses gets a zero gradient");
    }
    assertTrue(norm(Tensors.toFloats(r.getPromptGradients(1), "g")) > 0);
  }

  /** EmbedTokens rows are the vocabulary embeddings: NearestTokens of them finds the same tokens (cosine 1). */
  @Test
  void embedAndNearestTokens() {
    int[] tokens = {37, 629, 1627};
    EmbedTokensResponse e = stub().embedTokens(EmbedTokensRequest.newBuilder().addIds(37).addIds(629).addIds(1627)
        .build());
    assertEquals(List.of(3L, (long) D), e.getEmbeddings().getShapeList());
    NearestTokensResponse n = stub().nearestTokens(NearestTokensRequest.newBuilder()
        .setPrompt(PromptRef.newBuilder().setTensor(e.getEmbeddings())).build());
    assertEquals(3, n.getRowsCount());
    for (int i = 0; i < 3; i++) {
      assertEquals(5, n.getRows(i).getTokensCount(), "k defaults to 5");
      assertEquals(tokens[i], n.getRows(i).getTokens(0).getTokenId());
      assertEquals(1.0, n.getRows(i).getTokens(0).getCosine(), 1e-5);
      assertFalse(n.getRows(i).getTokens(0).getPiece().isEmpty());
    }
    assertEquals("▁house", n.getRows(1).getTokens(0).getPiece());
  }

  static float[] floats(JsonNode n) {
    List<Float> out = new ArrayList<>();
    flatten(n, out);
    float[] f = new float[out.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = out.get(i);
    }
    return f;
  }

  private static void flatten(JsonNode n, List<Float> out) {
    if (n.isArray()) {
      n.forEach(x -> flatten(x, out));
    } else {
      out.add((float) n.asDouble());
    }
  }

  static int[] toArray(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  static int[] toArray(JsonNode n) {
    int[] a = new int[n.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = n.get(i).asInt();
    }
    return a;
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  /** |want - got| <= tol * max(1, max|want|) elementwise. */
  static void assertClose(float[] want, float[] got, double tol, String what) {
    assertEquals(want.length, got.length, what + " length");
    double scale = 1;
    for (float w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], tol * scale, what + " [" + i + "]");
    }
  }
}
