package io.promptune.runtime.engine;

import static io.promptune.runtime.engine.Golden.close;
import static io.promptune.runtime.engine.Golden.closeAll;
import static io.promptune.runtime.engine.Golden.f;
import static io.promptune.runtime.engine.Golden.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of cases.json and prompt_cases.json of both tiny checkpoints against Hugging Face: loss, token NLL,
 * logits at the stored vocabulary ids, logsumexp, argmax (where the margin is meaningful), encoder and decoder
 * hidden states and, with prompts, d loss / d P (including the mixed per-example-prompt case).
 */
class GoldenCasesTest {

  static final double TOL = 1e-4;

  @AfterAll
  static void summary() {
    Golden.printSummary("golden cases");
  }

  static String key(String model, boolean withPrompt, String quantity) {
    return model + (withPrompt ? " prompt " : " plain  ") + quantity;
  }

  @TestFactory
  Stream<DynamicTest> cases() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : Golden.MODELS) {
      for (String file : new String[] {"cases.json", "prompt_cases.json"}) {
        JsonNode root = Golden.read(Golden.model(model).resolve(file));
        int[] vocabIdx = Golden.ints(root.get("vocab_idx"));
        for (JsonNode c : root.get("cases")) {
          tests.add(DynamicTest.dynamicTest(model + "/" + file + "/" + c.get("name").asText(),
              () -> check(GoldenEngines.get(model), c, vocabIdx, file.startsWith("prompt"), model)));
        }
      }
    }
    return tests.stream();
  }

  static void check(DjlT5Engine engine, JsonNode c, int[] vocabIdx, boolean withPrompt) {
    check(engine, c, vocabIdx, withPrompt, null);
  }

  static void check(DjlT5Engine engine, JsonNode c, int[] vocabIdx, boolean withPrompt, String model) {
    int d = engine.spec().dModel();
    int v = engine.spec().vocabSize();
    int[][] ids = Golden.ints2(c.get("input_ids"));
    int[][] mask = Golden.ints2(c.get("attention_mask"));
    int[][] labels = Golden.ints2(c.get("labels"));
    int b = ids.length;

    List<SoftPrompt> prompts = new ArrayList<>();
    int[] promptIndex = new int[b];
    java.util.Arrays.fill(promptIndex, -1);
    int promptLen = 0;
    boolean perExample = false;
    if (withPrompt) {
      JsonNode p = c.get("prompt");
      perExample = !c.get("prompt_shared_across_batch").asBoolean();
      if (perExample) {
        for (int i = 0; i < b; i++) {
          float[] vals = floats(p.get(i));
          prompts.add(new SoftPrompt(vals.length / d, d, vals));
          promptIndex[i] = i;
        }
      } else {
        float[] vals = floats(p);
        prompts.add(new SoftPrompt(vals.length / d, d, vals));
        java.util.Arrays.fill(promptIndex, 0);
      }
      promptLen = prompts.get(0).length();
    }
    List<Example> examples = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      int n = 0;
      for (int m : mask[i]) {
        n += m;
      }
      int t = 0;
      for (int l : labels[i]) {
        if (l != -100) {
          t++;
        }
      }
      examples.add(new Example(java.util.Arrays.copyOf(ids[i], n), java.util.Arrays.copyOf(labels[i], t),
          promptIndex[i]));
    }
    ForwardTrace tr = engine.forwardTrace(prompts, examples, null, withPrompt);
    String name = c.get("name").asText();

    close(name + " loss", f(c.get("loss")), tr.result().loss(), TOL);
    java.util.function.BiConsumer<String, Double> rec = (q, diff) -> {
      if (model != null) {
        Golden.record(key(model, withPrompt, q), diff);
      }
    };
    rec.accept("loss", (double) Math.abs(f(c.get("loss")) - tr.result().loss()));
    assertEquals(c.get("num_label_tokens").asInt(), tr.result().numTargetTokens(), name + " num_label_tokens");

    int tMax = labels[0].length;
    assertEquals(tMax, tr.decoderLength(), name + " decoder length");
    float[] logits = tr.logits();
    JsonNode lv = c.get("logits_at_vocab_idx");
    JsonNode lse = c.get("logsumexp");
    JsonNode am = c.get("argmax");
    JsonNode margin = c.get("argmax_margin");
    JsonNode nll = c.get("token_nll");
    for (int i = 0; i < b; i++) {
      double sumNll = 0;
      for (int t = 0; t < tMax; t++) {
        int base = (i * tMax + t) * v;
        for (int k = 0; k < vocabIdx.length; k++) {
          close(name + " logits[" + i + "," + t + "," + vocabIdx[k] + "]", f(lv.get(i).get(t).get(k)),
              logits[base + vocabIdx[k]], TOL);
          rec.accept("logits_at_vocab_idx", (double) Math.abs(f(lv.get(i).get(t).get(k)) - logits[base + vocabIdx[k]]));
        }
        double max = Double.NEGATIVE_INFINITY;
        int arg = -1;
        for (int j = 0; j < v; j++) {
          if (logits[base + j] > max) {
            max = logits[base + j];
            arg = j;
          }
        }
        double s = 0;
        for (int j = 0; j < v; j++) {
          s += Math.exp(logits[base + j] - max);
        }
        double ourLse = max + Math.log(s);
        close(name + " logsumexp[" + i + "," + t + "]", f(lse.get(i).get(t)), ourLse, TOL);
        rec.accept("logsumexp", Math.abs(f(lse.get(i).get(t)) - ourLse));
        if (margin.get(i).get(t).asDouble() > 1e-3) {
          assertEquals(am.get(i).get(t).asInt(), arg, name + " argmax[" + i + "," + t + "]");
        }
        if (!nll.get(i).get(t).isNull()) {
          int label = labels[i][t];
          double ours = ourLse - logits[base + label];
          close(name + " token_nll[" + i + "," + t + "]", f(nll.get(i).get(t)), ours, TOL);
          rec.accept("token_nll", Math.abs(f(nll.get(i).get(t)) - ours));
          sumNll += f(nll.get(i).get(t));
        }
      }
      close(name + " exampleSumNll[" + i + "]", sumNll, tr.result().exampleSumNll()[i], 4 * TOL);
    }

    // hidden states: compare real (unpadded) positions only
    int l = tr.encoderLength();
    int[] encLen = tr.encoderLengths();
    JsonNode ehs = c.get("encoder_hidden_states");
    assertEquals(ehs.size(), tr.encoderHiddenStates().size(), name + " number of encoder hidden states");
    for (int h = 0; h < ehs.size(); h++) {
      rec.accept("encoder_hidden_states[" + h + "]", compareRows(name + " encoder_hidden_states[" + h + "]", ehs.get(h),
          tr.encoderHiddenStates().get(h), b, l, d, encLen));
    }
    rec.accept("encoder_last_hidden_state", compareRows(name + " encoder_last_hidden_state",
        c.get("encoder_last_hidden_state"), tr.encoderHiddenStates().get(tr.encoderHiddenStates().size() - 1), b, l,
        d, encLen));
    JsonNode dhs = c.get("decoder_hidden_states");
    assertEquals(dhs.size(), tr.decoderHiddenStates().size(), name + " number of decoder hidden states");
    int[] decLen = new int[b];
    java.util.Arrays.fill(decLen, tMax);
    for (int h = 0; h < dhs.size(); h++) {
      rec.accept("decoder_hidden_states[" + h + "]", compareRows(name + " decoder_hidden_states[" + h + "]",
          dhs.get(h), tr.decoderHiddenStates().get(h), b, tMax, d, decLen));
    }

    if (withPrompt) {
      List<float[]> grads = tr.result().promptGradients();
      assertNotNull(grads, name + " prompt gradients");
      JsonNode g = c.get("prompt_grad");
      if (perExample) {
        for (int i = 0; i < b; i++) {
          rec.accept("prompt_grad", closeAll(name + " prompt_grad[" + i + "]", floats(g.get(i)), grads.get(i), TOL,
              1e-3));
        }
      } else {
        rec.accept("prompt_grad", closeAll(name + " prompt_grad", floats(g), grads.get(0), TOL, 1e-3));
      }
      assertEquals(promptLen * d, grads.get(0).length);
    }
  }

  /** expected [B][S][d] (S ≤ L, same layout) vs ours [B, L, d]; positions ≥ len[b] are skipped. */
  static double compareRows(String what, JsonNode expected, float[] ours, int b, int l, int d, int[] len) {
    double max = 0;
    for (int i = 0; i < b; i++) {
      JsonNode rows = expected.get(i);
      for (int p = 0; p < len[i]; p++) {
        JsonNode row = rows.get(p);
        for (int k = 0; k < d; k++) {
          float e = f(row.get(k));
          float o = ours[(i * l + p) * d + k];
          max = Math.max(max, Math.abs(e - o));
          if (Math.abs(e - o) > TOL) {
            close(what + "[" + i + "," + p + "," + k + "]", e, o, TOL);
          }
        }
      }
    }
    return max;
  }
}
