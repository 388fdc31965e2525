package io.promptune.runtime.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.promptune.runtime.load.T5Config;
import io.promptune.runtime.model.DecoderState;
import io.promptune.runtime.model.EncoderOutput;
import io.promptune.runtime.model.Ops;
import io.promptune.runtime.model.T5Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Beam search as Hugging Face's {@code beam_search} runs it: each input keeps {@code numBeams} beams; every step
 * scores all beams × vocabulary continuations by running sum of log-probs, takes the 2·numBeams best per input
 * and lets that input's {@link BeamSearchScorer} pick the finished hypotheses and the beams that continue. The
 * decoder's key/value cache is reordered to follow the surviving beams; an input that is done leaves the batch.
 */
final class BeamSearch {

  private final T5Model model;
  private final T5Config config;
  private final DataType dtype;

  BeamSearch(T5Model model) {
    this.model = model;
    this.config = model.config();
    this.dtype = model.dtype();
  }

  /**
   * @param m   the call's manager; each step's temporaries live in a sub-manager closed after the step
   * @param enc the encoder output of {@code queries} rows
   */
  List<GenerationResult> decode(NDManager m, EncoderOutput enc, int queries, int maxNewTokens, int numBeams,
      double lengthPenalty) {
    int v = config.vocabSize();
    BeamSearchScorer[] scorers = new BeamSearchScorer[queries];
    for (int i = 0; i < queries; i++) {
      scorers[i] = new BeamSearchScorer(numBeams, lengthPenalty, config.eosTokenId());
    }
    DecoderState state = model.startDecoding(enc, model.crossKeyValues(enc), numBeams);
    int[] active = new int[queries]; // the query of each encoder row still decoding
    for (int i = 0; i < queries; i++) {
      active[i] = i;
    }
    int rows = queries * numBeams; // decoder rows: numBeams per active query
    long[] tokens = new long[rows];
    double[] beamSum = new double[rows];
    for (int r = 0; r < rows; r++) {
      tokens[r] = config.decoderStartTokenId();
      // all beams start identical: only the first is live, so the first step's candidates all extend it
      beamSum[r] = r % numBeams == 0 ? 0.0 : -1e9;
    }
    for (int step = 0; step < maxNewTokens && active.length > 0; step++) {
      try (NDManager sm = m.newSubManager()) {
        state.attach(sm);
        int qa = active.length;
        NDArray logits = model.decodeStep(state, sm.create(tokens)); // [qa·beams, V]
        NDArray scores = logits.logSoftmax(1)
            .add(Ops.doubles(sm, beamSum, new Shape(rows, 1), dtype))
            .reshape(qa, (long) numBeams * v); // [qa, beams·V]: candidate id = beam·V + token
        NDList top = scores.topK(2 * numBeams, 1, true, true);
        double[] topSum = Ops.toDoubles(top.get(0)); // [qa, 2·beams]
        long[] topId = top.get(1).toLongArray(); // [qa, 2·beams]

        List<Integer> kept = new ArrayList<>(); // positions in active of the queries that continue
        List<BeamSearchScorer.Next> nexts = new ArrayList<>();
        for (int a = 0; a < qa; a++) {
          int[] beam = new int[2 * numBeams];
          int[] token = new int[2 * numBeams];
          double[] sum = new double[2 * numBeams];
          for (int rank = 0; rank < 2 * numBeams; rank++) {
            long id = topId[a * 2 * numBeams + rank];
            beam[rank] = (int) (id / v);
            token[rank] = (int) (id % v);
            sum[rank] = topSum[a * 2 * numBeams + rank];
          }
          BeamSearchScorer.Next next = scorers[active[a]].process(beam, token, sum, step + 1);
          if (next != null) {
            kept.add(a);
            nexts.add(next);
          }
        }
        int[] nextActive = new int[kept.size()];
        for (int k = 0; k < kept.size(); k++) {
          nextActive[k] = active[kept.get(k)];
        }
        if (kept.isEmpty() || step == maxNewTokens - 1) { // nothing more to decode: leave the cache as it is
          active = nextActive;
          continue;
        }
        int nn = kept.size() * numBeams;
        long[] rowSel = new long[nn]; // new decoder row -> current decoder row
        long[] encSel = new long[kept.size()];
        long[] nt = new long[nn];
        double[] ns = new double[nn];
        for (int k = 0; k < kept.size(); k++) {
          int a = kept.get(k);
          encSel[k] = a;
          BeamSearchScorer.Next next = nexts.get(k);
          for (int j = 0; j < numBeams; j++) {
            rowSel[k * numBeams + j] = (long) a * numBeams + next.sourceBeam()[j];
            nt[k * numBeams + j] = next.token()[j];
            ns[k * numBeams + j] = next.sumLogProb()[j];
          }
        }
        state.selectRows(sm, rowSel);
        if (kept.size() < qa) {
          state.selectEncoderRows(sm, encSel);
        }
        active = nextActive;
        rows = nn;
        tokens = nt;
        beamSum = ns;
        state.attach(m);
      }
    }
    for (int qi : active) { // out of steps
      scorers[qi].finalizeRunning();
    }
    List<GenerationResult> res = new ArrayList<>(queries);
    for (BeamSearchScorer s : scorers) {
      res.add(s.best());
    }
    return List.copyOf(res);
  }
}
