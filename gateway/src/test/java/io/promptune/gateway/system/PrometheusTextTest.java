package io.promptune.gateway.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  static final String SCRAPE = """
      # HELP promptune_runtime_tokens_total Tokens processed by the engine, by kind
      # TYPE promptune_runtime_tokens_total counter
      promptune_runtime_tokens_total{kind="input",op="generate"} 120.0
      promptune_runtime_tokens_total{kind="generated",op="generate"} 30.0
      promptune_runtime_tokens_total_extra 5.0
      promptune_runtime_batch_callers_sum{op="score"} 9.0
      promptune_runtime_batch_callers_count{op="score"} 4.0
      promptune_trainer_queue_depth 3.0
      promptune_trainer_steps_total 4.0 # {span_id="33b8eaaa9619ede3",trace_id="b5edf42a7f052374450b35ed42263712"} 1.0 1796144513.582
      promptune_trainer_jobs{state="RUNNING"} 1.0
      promptune_trainer_jobs{state="QUEUED"} 3.0
      promptune_trainer_jobs{state="FAILED"} NaN
      """;

  @Test
  void sumsOverLabelsAndFiltersByThem() {
    assertEquals(150.0, PrometheusText.sum(SCRAPE, "promptune_runtime_tokens_total", Map.of()));
    assertEquals(30.0, PrometheusText.sum(SCRAPE, "promptune_runtime_tokens_total", Map.of("kind", "generated")));
    assertEquals(3.0, PrometheusText.sum(SCRAPE, "promptune_trainer_queue_depth", Map.of()));
    assertEquals(4.0, PrometheusText.sum(SCRAPE, "promptune_trainer_steps_total", Map.of()), "not the exemplar's");
    assertEquals(1.0, PrometheusText.sum(SCRAPE, "promptune_trainer_jobs", Map.of("state", "RUNNING")));
    assertEquals(9.0 / 4.0, PrometheusText.sum(SCRAPE, "promptune_runtime_batch_callers_sum", Map.of())
        / PrometheusText.sum(SCRAPE, "promptune_runtime_batch_callers_count", Map.of()));
  }

  @Test
  void absentIsNaN() {
    assertTrue(Double.isNaN(PrometheusText.sum(SCRAPE, "promptune_runtime_flops_total", Map.of())));
    assertTrue(Double.isNaN(PrometheusText.sum(SCRAPE, "promptune_trainer_jobs", Map.of("state", "FAILED"))));
    assertTrue(Double.isNaN(PrometheusText.sum(SCRAPE, "promptune_trainer_jobs", Map.of("state", "RUN"))));
  }
}
