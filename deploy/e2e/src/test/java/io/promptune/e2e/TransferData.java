package io.promptune.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * A second sentiment-like dataset in another wording ("i found the show great"), for the paper's zero-shot
 * transfer reading: train on {@link SentimentData}, evaluate on this. 24 records: 16 train, 8 validation (4 of each
 * label).
 */
final class TransferData {

  private static final String[] THINGS = {"show", "song", "book", "meal"};
  private static final String[] GOOD = {"great", "lovely", "wonderful"};
  private static final String[] BAD = {"awful", "terrible", "dull"};

  private TransferData() {}

  /** {input, target} pairs of one split. */
  static List<String[]> records(boolean validation) {
    List<String[]> out = new ArrayList<>();
    int i = 0;
    for (int a = 0; a < GOOD.length; a++) {
      for (String thing : THINGS) {
        for (int polarity = 0; polarity < 2; polarity++) {
          boolean held = i % 6 == 2 || i % 6 == 3; // a positive and a negative of every third pair
          i++;
          if (held == validation) {
            out.add(new String[] {"i found the " + thing + " " + (polarity == 0 ? GOOD[a] : BAD[a]),
                SentimentData.LABELS.get(polarity)});
          }
        }
      }
    }
    return out;
  }

  /** The split as JSONL with the identity format's input/target fields. */
  static String lines(boolean validation) {
    StringBuilder sb = new StringBuilder();
    for (String[] r : records(validation)) {
      sb.append("{\"input\": \"").append(r[0]).append("\", \"target\": \"").append(r[1]).append("\"}\n");
    }
    return sb.toString();
  }
}
