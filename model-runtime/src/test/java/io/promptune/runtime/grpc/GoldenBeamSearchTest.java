package io.promptune.runtime.grpc;

import static io.promptune.runtime.engine.Golden.close;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.promptune.api.v1.FinishReason;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.Generation;
import io.promptune.runtime.batching.BatchingEngine;
import io.promptune.runtime.engine.DjlT5Engine;
import io.promptune.runtime.engine.Golden;
import io.promptune.runtime.engine.GoldenEngines;
import io.promptune.runtime.service.Limits;
import io.promptune.runtime.service.PromptResolver;
import io.promptune.runtime.service.RuntimeService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * beam_search.json of both tiny checkpoints through the Generate RPC's service path (GenerateRequest proto →
 * validation → batching → engine → GenerateResponse), in-process: exact token ids, and the returned beam's
 * length-normalised score within 1e-4 of Hugging Face's {@code sequences_score}. {@link RuntimeRpcTest} sends the
 * tiny-t5-v1_0 cases over real gRPC with the same checks.
 */
class GoldenBeamSearchTest {

  private static final Map<String, RuntimeService> SERVICES = new ConcurrentHashMap<>();

  @AfterAll
  static void closeBatchers() {
    SERVICES.values().forEach(s -> s.batching().close()); // the engines are shared (GoldenEngines)
  }

  @TestFactory
  Stream<DynamicTest> beamSearch() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : Golden.MODELS) {
      for (JsonNode c : cases(model)) {
        String name = model + "/" + c.get("name").asText();
        tests.add(DynamicTest.dynamicTest(name,
            () -> check(name, c, service(model).generate(request(c)).getGenerations(0))));
      }
    }
    return tests.stream();
  }

  static JsonNode cases(String model) {
    return Golden.read(Golden.dir().resolve("beam_search.json")).get(model).get("cases");
  }

  /** The case as a Generate request: its ids verbatim (they end in EOS), its prompt if any, its beam settings. */
  static GenerateRequest request(JsonNode c) {
    GenerateInput.Builder in = GenerateInput.newBuilder().setInput(RuntimeTestSupport.ids(Golden.ints(c.get("input_ids"))));
    GenerateRequest.Builder r = GenerateRequest.newBuilder().setNumBeams(c.get("num_beams").asInt())
        .setLengthPenalty(Golden.f(c.get("length_penalty"))).setMaxNewTokens(c.get("max_new_tokens").asInt());
    JsonNode p = c.get("prompt");
    if (p != null && !p.isNull()) {
      r.addPrompts(RuntimeTestSupport.prompt(Golden.floats(p), p.size(), p.get(0).size()));
      in.setPromptIndex(0);
    } else {
      in.setPromptIndex(-1);
    }
    return r.addInputs(in).build();
  }

  /**
   * Hugging Face scores a hypothesis as sum_logprobs / len ** length_penalty, where len is the length of the decoder
   * sequence it holds: {@code sequence} in the golden (decoder start token included; no case ends in EOS).
   */
  static void check(String name, JsonNode c, Generation g) {
    int[] expected = Golden.ints(c.get("generated_ids"));
    int[] actual = g.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray();
    assertArrayEquals(expected, actual, name + " token ids");
    assertEquals(FinishReason.LENGTH, g.getFinishReason(), name + " finish reason");
    double len = c.get("sequence").size();
    double score = g.getSumLogProb() / Math.pow(len, c.get("length_penalty").asDouble());
    close(name + " sequences_score", c.get("sequences_score").asDouble(), score, 1e-4);
    Golden.record("beam search sequences_score", Math.abs(c.get("sequences_score").asDouble() - score));
  }

  private static RuntimeService service(String model) {
    return SERVICES.computeIfAbsent(model, m -> {
      DjlT5Engine engine = GoldenEngines.get(m);
      Limits limits = new Limits(512, 64, 64, 256, 1L << 20, 8);
      PromptResolver prompts = new PromptResolver((version, observer) -> {
        throw new UnsupportedOperationException("no registry in this test");
      }, engine.spec().dModel(), engine.fingerprint(), engine.modelId(), limits, 0);
      return new RuntimeService(new BatchingEngine(engine, true, Duration.ofMillis(1), 1L << 20), prompts, limits,
          "cpu");
    });
  }
}
