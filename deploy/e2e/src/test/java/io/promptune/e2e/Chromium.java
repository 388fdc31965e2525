package io.promptune.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A headless Chromium driven over the DevTools protocol with nothing but java.net.http's WebSocket and Jackson:
 * navigate, evaluate JavaScript in the page, wait for conditions, take screenshots. Debian's {@code chromium}
 * package is enough (no chromedriver).
 */
final class Chromium implements AutoCloseable {

  static final Path BINARY = Path.of(System.getProperty("promptune.chromium", "/usr/bin/chromium"));
  /** Set by .ci/run: a missing Chromium fails the browser test instead of skipping it. */
  static final String REQUIRED_PROPERTY = "promptune.chromium.required";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<String> console = java.util.Collections.synchronizedList(new ArrayList<>());

  /**
   * Returns when Chromium is installed; otherwise skips the calling test with a message, or fails it when
   * {@value #REQUIRED_PROPERTY} is true (CI installs Chromium, so there a missing one is a broken setup).
   */
  static void assumeAvailable() {
    assumeAvailable(BINARY, Boolean.getBoolean(REQUIRED_PROPERTY));
  }

  static void assumeAvailable(Path binary, boolean required) {
    if (Files.isExecutable(binary)) {
      return;
    }
    String msg = "Chromium is not installed at " + binary + " (apt-get install -y chromium)";
    if (required) {
      Assertions.fail(msg + ", and " + REQUIRED_PROPERTY + "=true: the browser test of the web console must run");
    }
    Assumptions.abort(msg + "; skipping the browser test of the web console");
  }

  Chromium() throws IOException, InterruptedException {
    profile = Files.createTempDirectory("promptune-chromium");
    List<String> cmd = List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1000", "--remote-debugging-port=0",
        "--remote-allow-origins=*", "--user-data-dir=" + profile, "about:blank");
    process = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String browserWs = awaitDevToolsUrl();
    URI browser = URI.create(browserWs);
    HttpClient http = HttpClient.newHttpClient();
    String list = http.send(HttpRequest.newBuilder(URI.create("http://" + browser.getAuthority() + "/json/list"))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    String pageWs = null;
    for (JsonNode t : JSON.readTree(list)) {
      if ("page".equals(t.path("type").asText())) {
        pageWs = t.path("webSocketDebuggerUrl").asText();
        break;
      }
    }
    if (pageWs == null) {
      throw new IllegalStateException("chromium has no page target: " + list);
    }
    socket = http.newWebSocketBuilder().buildAsync(URI.create(pageWs), new Listener()).join();
    send("Runtime.enable", Map.of());
    send("Page.enable", Map.of());
  }

  private String awaitDevToolsUrl() throws IOException, InterruptedException {
    BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> url = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        String line;
        while ((line = err.readLine()) != null) {
          int i = line.indexOf("ws://");
          if (line.contains("DevTools listening on") && i >= 0) {
            url.complete(line.substring(i).trim());
          }
        }
      } catch (IOException ignored) {
        // process ended
      }
      url.completeExceptionally(new IllegalStateException("chromium exited before DevTools came up"));
    }, "chromium-stderr");
    t.setDaemon(true);
    t.start();
    try {
      return url.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("chromium did not start: " + e.getMessage(), e);
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String msg = partial.toString();
        partial.setLength(0);
        try {
          JsonNode m = JSON.readTree(msg);
          if (m.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
            if (f != null) {
              if (m.has("error")) {
                f.completeExceptionally(new IllegalStateException("CDP error: " + m.get("error")));
              } else {
                f.complete(m.path("result"));
              }
            }
          } else if ("Runtime.consoleAPICalled".equals(m.path("method").asText())) {
            console.add(m.path("params").path("type").asText() + ": " + m.path("params").path("args").toString());
          } else if ("Runtime.exceptionThrown".equals(m.path("method").asText())) {
            console.add("exception: " + m.path("params").path("exceptionDetails").toString());
          }
        } catch (IOException e) {
          // not JSON: ignore
        }
      }
      ws.request(1);
      return null;
    }
  }

  JsonNode send(String method, Map<String, ?> params) {
    int id = ids.incrementAndGet();
    ObjectNode msg = JSON.createObjectNode();
    msg.put("id", id);
    msg.put("method", method);
    msg.set("params", JSON.valueToTree(params));
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    pending.put(id, f);
    synchronized (socket) {
      socket.sendText(msg.toString(), true).join();
    }
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(method + " failed: " + e.getMessage(), e);
    }
  }

  /** Evaluates JavaScript in the page (promises awaited) and returns its JSON value. */
  JsonNode eval(String js) {
    JsonNode r = send("Runtime.evaluate", Map.of("expression", js, "returnByValue", true, "awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new IllegalStateException("page script failed: " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  void navigate(String url) {
    send("Page.navigate", Map.of("url", url));
    waitFor(Duration.ofSeconds(30), () -> "complete".equals(eval("document.readyState").asText()), "page load");
  }

  /** Polls {@code js} (a boolean expression) until true. */
  void waitForJs(String js, Duration timeout, String what) {
    waitFor(timeout, () -> eval("!!(" + js + ")").asBoolean(), what);
  }

  void waitFor(Duration timeout, BooleanSupplier condition, String what) {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
            + "; page text:\n" + eval("document.body ? document.body.innerText : ''").asText() + "\nconsole: "
            + console);
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  void screenshot(Path file) throws IOException {
    JsonNode r = send("Page.captureScreenshot", Map.of("format", "png"));
    Files.createDirectories(file.getParent());
    Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
  }

  List<String> console() {
    return List.copyOf(console);
  }

  @Override
  public void close() {
    try {
      socket.abort();
    } catch (RuntimeException ignored) {
      // already closed
    }
    List<ProcessHandle> children = process.toHandle().descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    try (var walk = Files.walk(profile)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp dir: best effort
    }
  }
}
