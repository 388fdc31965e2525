package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows a job's progress stream and draws it: a progress bar with step, loss, the dev metric and an ETA (redrawn
 * in place on a terminal; a line per evaluation and every 10% otherwise). An ensemble job's evaluations show each
 * member's value and their mean; an evaluation job shows the examples done. Returns the job's final state.
 */
public final class JobFollower {

  /** What the job ended as, with its best metric and published version. */
  public record Outcome(String state, String reason, String versionId, String promptName, int versionNumber,
      Double bestMetric, int lastStep, List<String> memberVersionIds, List<Double> bestMemberValues) {
    public boolean succeeded() {
      return "succeeded".equals(state);
    }
  }

  private final GatewayClient client;
  private final PrintStream out;
  private final boolean tty;

  public JobFollower(GatewayClient client, PrintStream out, boolean tty) {
    this.client = client;
    this.out = out;
    this.tty = tty;
  }

  public Outcome follow(String jobId, int maxSteps) {
    var st = new Object() {
      String state = "queued";
      String reason;
      String versionId;
      String promptName;
      int versionNumber;
      int step;
      double loss = Double.NaN;
      String metric = "accuracy";
      Double metricValue;
      Double best;
      List<Double> bestMembers = List.of();
      List<String> members = List.of();
      int firstStep = -1;
      Instant firstTime;
      Instant lastTime;
      int lastPrintedDecile = -1;
      boolean barShown;
    };
    client.followEvents("/v1/jobs/" + GatewayClient.enc(jobId) + "/stream", (name, e) -> {
      switch (name) {
        case "step" -> {
          st.step = e.path("step").asInt();
          st.loss = e.path("loss").asDouble();
          Instant t = e.hasNonNull("time") ? Instant.parse(e.get("time").asText()) : Instant.now();
          if (st.firstStep < 0) {
            st.firstStep = st.step;
            st.firstTime = t;
          }
          st.lastTime = t;
          int decile = maxSteps > 0 ? Math.min(10, st.step * 10 / maxSteps) : -1;
          if (tty) {
            out.print("\r" + bar(st.step, maxSteps, st.loss, st.metric, st.metricValue, eta(st.firstStep,
                st.firstTime, st.step, st.lastTime, maxSteps)) + "   ");
            out.flush();
            st.barShown = true;
          } else if (decile > st.lastPrintedDecile) {
            st.lastPrintedDecile = decile;
            out.println(bar(st.step, maxSteps, st.loss, st.metric, st.metricValue, eta(st.firstStep, st.firstTime,
                st.step, st.lastTime, maxSteps)));
          }
        }
        case "eval" -> {
          st.metric = e.path("metric").asText("metric");
          st.metricValue = e.path("value").asDouble();
          List<Double> memberValues = doubles(e.path("member_values"));
          if (e.path("best").asBoolean(false)) {
            st.best = st.metricValue;
            st.bestMembers = memberValues;
          }
          String line = String.format("eval at step %d: dev %s %.4f%s%s", e.path("step").asInt(), st.metric,
              st.metricValue, memberValues.isEmpty() ? "" : " (ensemble)" + members(memberValues,
              e.path("member_mean").asDouble()), e.path("best").asBoolean(false) ? " (best so far)" : "");
          if (tty && st.barShown) {
            out.print("\r\033[K");
          }
          out.println(line);
        }
        case "state" -> {
          st.state = e.path("state").asText(st.state);
          if (e.hasNonNull("reason")) {
            st.reason = e.get("reason").asText();
          }
          if (tty && st.barShown) {
            out.print("\r\033[K");
            st.barShown = false;
          }
          out.println("job " + st.state + (st.reason != null && !st.state.equals("running") ? ": " + st.reason : "")
              + (e.hasNonNull("worker") && st.state.equals("running") ? " (worker " + e.get("worker").asText() + ")"
              : ""));
        }
        case "published" -> {
          st.versionId = e.path("version_id").asText();
          st.promptName = e.path("prompt_name").asText();
          st.versionNumber = e.path("version_number").asInt();
          if (tty && st.barShown) {
            out.print("\r\033[K");
            st.barShown = false;
          }
          st.members = strings(e.path("member_version_ids"));
          out.println("published " + st.promptName + ":" + st.versionNumber + " (" + (st.members.isEmpty()
              ? "version " : "ensemble version ") + st.versionId + (st.members.isEmpty() ? "" : ", members "
              + String.join(", ", st.members)) + ")");
        }
        case "evaluation_progress" -> {
          long done = e.path("examples_done").asLong();
          long total = e.path("examples_total").asLong();
          int decile = total > 0 ? (int) Math.min(10, done * 10 / total) : -1;
          String line = String.format("evaluated %d/%d examples, %d correct so far", done, total,
              e.path("correct").asLong());
          if (tty) {
            out.print("\r" + line + "   ");
            out.flush();
            st.barShown = true;
          } else if (decile > st.lastPrintedDecile) {
            st.lastPrintedDecile = decile;
            out.println(line);
          }
        }
        case "error" -> {
          throw new GatewayException(0, e.path("error").path("code").asText("STREAM_ERROR"),
              e.path("error").path("message").asText("the progress stream failed"));
        }
        default -> {
          // checkpoint, end: nothing to draw
        }
      }
      return true;
    });
    if (tty && st.barShown) {
      out.println();
    }
    // The stream ends with the job; its final record has the authoritative state.
    JsonNode job = client.get("/v1/jobs/" + GatewayClient.enc(jobId));
    String state = job.path("state").asText(st.state);
    String versionId = job.hasNonNull("published_version_id") ? job.get("published_version_id").asText()
        : st.versionId;
    // Boxed on both sides: a job without evaluations (e.g. an evaluation job) has no best metric at all.
    Double best = job.path("best_step").asInt() > 0 ? Double.valueOf(job.path("best_metric").asDouble()) : st.best;
    List<String> members = job.has("published_member_version_ids")
        ? strings(job.get("published_member_version_ids")) : st.members;
    return new Outcome(state, job.hasNonNull("reason") ? job.get("reason").asText() : st.reason, versionId,
        st.promptName, st.versionNumber, best, job.path("step").asInt(st.step), members, st.bestMembers);
  }

  /** ", members 0.8000 0.7500 0.9000 (mean 0.8167)". */
  static String members(List<Double> values, double mean) {
    StringBuilder sb = new StringBuilder(", members");
    values.forEach(v -> sb.append(String.format(" %.4f", v)));
    return sb.append(String.format(" (mean %.4f)", mean)).toString();
  }

  static List<Double> doubles(JsonNode array) {
    List<Double> l = new ArrayList<>();
    array.forEach(v -> l.add(v.asDouble()));
    return List.copyOf(l);
  }

  static List<String> strings(JsonNode array) {
    List<String> l = new ArrayList<>();
    array.forEach(v -> l.add(v.asText()));
    return List.copyOf(l);
  }

  static String bar(int step, int max, double loss, String metric, Double metricValue, Duration eta) {
    int width = 24;
    StringBuilder sb = new StringBuilder();
    if (max > 0) {
      int filled = (int) Math.round(width * Math.min(1.0, step / (double) max));
      sb.append('[').append("#".repeat(filled)).append(".".repeat(width - filled)).append(']');
      sb.append(String.format(" %3d%%  step %d/%d", Math.round(100.0 * step / max), step, max));
    } else {
      sb.append("step ").append(step);
    }
    if (!Double.isNaN(loss)) {
      sb.append(String.format("  loss %.4f", loss));
    }
    if (metricValue != null) {
      sb.append(String.format("  dev %s %.4f", metric, metricValue));
    }
    if (eta != null) {
      sb.append("  ETA ").append(human(eta));
    }
    return sb.toString();
  }

  static Duration eta(int firstStep, Instant firstTime, int step, Instant now, int max) {
    if (firstTime == null || now == null || step <= firstStep || max <= 0) {
      return null;
    }
    double perStep = Duration.between(firstTime, now).toMillis() / (double) (step - firstStep);
    return Duration.ofMillis((long) (perStep * Math.max(0, max - step)));
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60)
        : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
  }
}
