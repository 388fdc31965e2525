package io.promptune.e2e;

import java.util.List;

/**
 * A tiny sentiment-like task made up in code (label from the adjective): 48 sentences, 40 for training and 8 for
 * validation, as JSONL with the {@code input}/{@code target} fields the {@code identity} task format reads.
 */
final class SentimentData {

  static final List<String> LABELS = List.of("positive", "negative");

  private static final String[] SUBJECTS = {"film", "plot", "cast", "story"};
  private static final String[] GOOD = {"great", "superb", "lovely", "charming", "brilliant", "wonderful"};
  private static final String[] BAD = {"awful", "boring", "terrible", "clumsy", "dull", "weak"};

  private SentimentData() {}

  /** Train split: 40 records. Every sixth sentence goes to validation instead: 8 records, 4 of each label. */
  static String train() {
    return lines(false);
  }

  static String validation() {
    return lines(true);
  }

  private static String lines(boolean validation) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (int a = 0; a < GOOD.length; a++) {
      for (String subject : SUBJECTS) {
        for (int polarity = 0; polarity < 2; polarity++) {
          String adjective = polarity == 0 ? GOOD[a] : BAD[a];
          boolean held = i % 12 == 5 || i % 12 == 10; // 4 positive, 4 negative
          i++;
          if (held == validation) {
            sb.append("{\"input\": \"the ").append(subject).append(" was ").append(adjective)
                .append("\", \"target\": \"").append(LABELS.get(polarity)).append("\"}\n");
          }
        }
      }
    }
    return sb.toString();
  }
}
