package io.promptune.gateway.system;

import java.util.Map;

/** The few reads the System page needs from Prometheus text exposition: sums of a series over its labels. */
final class PrometheusText {

  private PrometheusText() {}

  /**
   * The sum of every sample of {@code name} whose labels include all of {@code labels} (label="value"), or NaN when
   * the scrape has no such sample.
   */
  static double sum(String text, String name, Map<String, String> labels) {
    double total = 0;
    boolean found = false;
    for (String raw : text.split("\n")) {
      // An exemplar (" # {trace_id=...} value time") may follow the sample.
      String line = raw.contains(" # ") ? raw.substring(0, raw.indexOf(" # ")) : raw;
      if (line.isEmpty() || line.charAt(0) == '#' || !line.startsWith(name)) {
        continue;
      }
      int after = name.length();
      if (line.length() <= after || (line.charAt(after) != '{' && line.charAt(after) != ' ')) {
        continue;
      }
      String labelPart = "";
      String rest = line.substring(after);
      if (rest.charAt(0) == '{') {
        int close = rest.indexOf('}');
        if (close < 0) {
          continue;
        }
        labelPart = rest.substring(1, close);
        rest = rest.substring(close + 1);
      }
      boolean matches = true;
      for (Map.Entry<String, String> l : labels.entrySet()) {
        if (!(("," + labelPart + ",").contains("," + l.getKey() + "=\"" + l.getValue() + "\","))) {
          matches = false;
          break;
        }
      }
      if (!matches) {
        continue;
      }
      String[] fields = rest.strip().split("\\s+");
      try {
        double v = Double.parseDouble(fields[0]);
        if (!Double.isNaN(v)) {
          total += v;
          found = true;
        }
      } catch (NumberFormatException ignored) {
        // not a sample line
      }
    }
    return found ? total : Double.NaN;
  }
}
