package io.promptune.gateway.system;

import io.promptune.common.auth.ServiceKey;
import io.promptune.gateway.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The headline numbers of the System page, read live from the runtimes' and the trainer's /q/metrics with this
 * gateway's service key. Rates (tokens/s, callers merged per batch) come from the oldest and newest of the samples
 * taken in the last {@link #WINDOW}; a sample is taken when somebody asks and the last is over a second old.
 */
@ApplicationScoped
public class SystemSampler {

  static final Duration WINDOW = Duration.ofSeconds(60);
  static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  /** One source's answer: ok, or why not (no numbers from it then). */
  public record SourceJson(String service, boolean ok, String error) {}

  /** What GET /v1/system answers; a number is null when it cannot be known (yet). */
  public record SystemJson(Instant sampledAt, Long queueDepth, Long jobsRunning, Double tokensPerSecond,
      Double callersPerBatch, Double callersPerBatchSinceStart, Double windowSeconds, List<SourceJson> sources) {}

  record Sample(long nanos, double tokens, double callersSum, double callersCount) {}

  @Inject
  ServiceKey serviceKey;

  @Inject
  GatewayConfig config;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Deque<Sample> samples = new ArrayDeque<>();
  private SystemJson last;
  private long lastNanos;

  public synchronized SystemJson sample() {
    long now = System.nanoTime();
    if (last != null && now - lastNanos < MIN_INTERVAL.toNanos()) {
      return last;
    }
    List<String> runtimeUrls = config.system().runtimeMetrics();
    List<String> trainerUrls = config.system().trainerMetrics();
    List<SourceJson> sources = new ArrayList<>();
    // Every runtime replica: tokens and batches are per replica, so they add up.
    double tokens = 0;
    double callersSum = 0;
    double callersCount = 0;
    boolean allRuntimes = !runtimeUrls.isEmpty();
    for (String url : runtimeUrls) {
      try {
        String text = scrape(url);
        tokens += zeroIfAbsent(PrometheusText.sum(text, "promptune_runtime_tokens_total", Map.of()));
        callersSum += zeroIfAbsent(PrometheusText.sum(text, "promptune_runtime_batch_callers_sum", Map.of()));
        callersCount += zeroIfAbsent(PrometheusText.sum(text, "promptune_runtime_batch_callers_count", Map.of()));
        sources.add(new SourceJson("runtime", true, null));
      } catch (IOException e) {
        allRuntimes = false;
        sources.add(new SourceJson("runtime", false, e.getMessage()));
      }
    }
    // Any one trainer: they all read the job counts from the same database.
    Long queued = null;
    Long running = null;
    for (String url : trainerUrls) {
      try {
        String text = scrape(url);
        queued = asLong(PrometheusText.sum(text, "promptune_trainer_queue_depth", Map.of()));
        running = asLong(PrometheusText.sum(text, "promptune_trainer_jobs", Map.of("state", "RUNNING")));
        sources.add(new SourceJson("trainer", true, null));
        break;
      } catch (IOException e) {
        sources.add(new SourceJson("trainer", false, e.getMessage()));
      }
    }
    Double tokensPerSecond = null;
    Double perBatch = null;
    Double window = null;
    if (allRuntimes) {
      Sample s = new Sample(now, tokens, callersSum, callersCount);
      samples.addLast(s);
      while (samples.size() > 1 && now - samples.peekFirst().nanos() > WINDOW.toNanos()) {
        samples.removeFirst();
      }
      Sample first = samples.peekFirst();
      double seconds = (now - first.nanos()) / 1e9;
      boolean reset = s.tokens() < first.tokens() || s.callersCount() < first.callersCount();
      if (reset) {
        samples.clear(); // a runtime restarted: its counters began again
        samples.addLast(s);
      } else if (seconds >= MIN_INTERVAL.toSeconds()) {
        window = seconds;
        tokensPerSecond = (s.tokens() - first.tokens()) / seconds;
        double batches = s.callersCount() - first.callersCount();
        perBatch = batches > 0 ? (s.callersSum() - first.callersSum()) / batches : null;
      }
    } else {
      samples.clear();
    }
    Double sinceStart = allRuntimes && callersCount > 0 ? callersSum / callersCount : null;
    last = new SystemJson(Instant.now(), queued, running, tokensPerSecond, perBatch, sinceStart, window,
        List.copyOf(sources));
    lastNanos = now;
    return last;
  }

  String scrape(String url) throws IOException {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(config.system().scrapeTimeout()).GET();
    serviceKey.get().ifPresent(k -> req.header("Authorization", "Bearer " + k));
    try {
      HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException(url + " answered HTTP " + r.statusCode()
            + (r.statusCode() == 401 ? " (this gateway's service key is missing or unknown there)" : ""));
      }
      return r.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading " + url, e);
    } catch (IOException e) {
      throw new IOException(url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }

  private static double zeroIfAbsent(double v) {
    return Double.isNaN(v) ? 0 : v;
  }

  private static Long asLong(double v) {
    return Double.isNaN(v) ? null : Math.round(v);
  }
}
