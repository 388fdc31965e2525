package io.promptune.runtime.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.promptune.runtime.load.T5Config;
import io.promptune.runtime.model.DecoderState;
import io.promptune.runtime.model.EncoderOutput;
import io.promptune.runtime.model.Ops;
import io.promptune.runtime.model.T5Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy decoding (Hugging Face's {@code greedy_search}, no logits processors): every step appends each row's
 * argmax token, with the decoder's keys and values cached. A row that emits EOS leaves the batch, so later steps
 * run on the rows still decoding only (HF instead pads finished rows; the tokens are the same).
 */
final class GreedySearch {

  private final T5Model model;
  private final T5Config config;

  GreedySearch(T5Model model) {
    this.model = model;
    this.config = model.config();
  }

  /**
   * @param m        the call's manager; each step's temporaries live in a sub-manager closed after the step
   * @param enc      the encoder output of {@code queries} rows
   * @param observer sees every step's raw logits, or null
   */
  List<GenerationResult> decode(NDManager m, EncoderOutput enc, int queries, int maxNewTokens,
      StepObserver observer) {
    int q = queries;
    int v = config.vocabSize();
    int eos = config.eosTokenId();
    List<List<Integer>> out = new ArrayList<>(q);
    for (int i = 0; i < q; i++) {
      out.add(new ArrayList<>());
    }
    double[] sum = new double[q];
    boolean[] ended = new boolean[q];
    DecoderState state = model.startDecoding(enc, model.crossKeyValues(enc), 1);
    int[] rowQuery = new int[q]; // the query of each decoder row still decoding
    long[] tokens = new long[q];
    for (int i = 0; i < q; i++) {
      rowQuery[i] = i;
      tokens[i] = config.decoderStartTokenId();
    }
    for (int step = 0; step < maxNewTokens && rowQuery.length > 0; step++) {
      try (NDManager sm = m.newSubManager()) {
        state.attach(sm);
        int n = rowQuery.length;
        NDArray logits = model.decodeStep(state, sm.create(tokens)); // [n, V]
        if (observer != null) {
          observer.onStep(step, rowQuery.clone(), Ops.toFloats(logits), v);
        }
        NDArray best = logits.argMax(1); // [n]
        long[] next = best.toLongArray();
        double[] lp = Ops.toDoubles(logits.logSoftmax(1).gather(best.reshape(n, 1), 1)); // [n, 1]
        int keep = 0;
        for (int r = 0; r < n; r++) {
          int qi = rowQuery[r];
          out.get(qi).add((int) next[r]);
          sum[qi] += lp[r];
          if (next[r] == eos) {
            ended[qi] = true;
          } else {
            keep++;
          }
        }
        if (keep < n && keep > 0) { // drop the rows that ended
          long[] rows = new long[keep];
          int[] nq = new int[keep];
          long[] nt = new long[keep];
          int k = 0;
          for (int r = 0; r < n; r++) {
            if (next[r] != eos) {
              rows[k] = r;
              nq[k] = rowQuery[r];
              nt[k] = next[r];
              k++;
            }
          }
          state.selectRows(sm, rows);
          state.selectEncoderRows(sm, rows);
          rowQuery = nq;
          tokens = nt;
        } else if (keep == 0) {
          rowQuery = new int[0];
        } else {
          tokens = next;
        }
        state.attach(m);
      }
    }
    List<GenerationResult> res = new ArrayList<>(q);
    for (int i = 0; i < q; i++) {
      res.add(new GenerationResult(out.get(i).stream().mapToInt(Integer::intValue).toArray(), sum[i], ended[i]));
    }
    return List.copyOf(res);
  }
}
