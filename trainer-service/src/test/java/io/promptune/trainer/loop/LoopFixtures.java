package io.promptune.trainer.loop;

import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.Truncation;
import io.promptune.trainer.format.TextPair;
import io.promptune.trainer.optim.Adafactor;
import io.promptune.trainer.optim.PromptOptimizer;
import io.promptune.trainer.schedule.LrSchedule;
import io.promptune.trainer.testing.ToyRuntime;
import java.util.ArrayList;
import java.util.List;

/** A small sentiment-like task for loop tests. */
final class LoopFixtures {

  static final int D = 8;
  static final int LENGTH = 4;
  static final List<String> LABELS = List.of("negative", "positive");

  private LoopFixtures() {}

  static ToyRuntime runtime() {
    return new ToyRuntime(D, 97, 5, 4);
  }

  static List<TextPair> data(int n, int offset) {
    String[] good = {"great", "lovely", "fine", "superb", "moving"};
    String[] bad = {"dull", "awful", "boring", "weak", "bad"};
    List<TextPair> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i + offset;
      boolean pos = k % 2 == 0;
      String w = (pos ? good : bad)[k % 5];
      out.add(new TextPair("review: a " + w + " film number " + (k % 7), pos ? "positive" : "negative"));
    }
    return out;
  }

  static float[] initialPrompt() {
    Rng r = Rng.seeded(99);
    float[] p = new float[LENGTH * D];
    for (int i = 0; i < p.length; i++) {
      p[i] = r.nextFloat() - 0.5f;
    }
    return p;
  }

  static PromptOptimizer adafactor() {
    return new Adafactor(LENGTH, D, Adafactor.Settings.paper());
  }

  static TrainingLoop.Settings settings(int maxSteps, int patience, double minDelta, LrSchedule schedule) {
    return new TrainingLoop.Settings(maxSteps, 6, 5, 7, patience, minDelta, 0.3, schedule, 4,
        "toy-8-97-5", Truncation.REJECT);
  }

  static Evaluator evaluator(ToyRuntime rt) {
    return new Evaluator(rt, EvalMode.RANK_CLASSIFICATION, data(10, 1000), LABELS, 0, 4, Truncation.REJECT, true);
  }
}
