package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiPredicate;
import java.util.stream.Stream;

/** A small HTTP/JSON client for the gateway's /v1 API (java.net.http + Jackson). */
public final class GatewayClient {

  static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String apiKey;
  private final HttpClient http;

  public GatewayClient(String baseUrl, String apiKey) {
    String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.base = URI.create(b);
    this.apiKey = apiKey;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  public URI base() {
    return base;
  }

  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** "a=b&c=d" from pairs, skipping null values. */
  public static String query(Map<String, ?> params) {
    StringBuilder sb = new StringBuilder();
    params.forEach((k, v) -> {
      if (v != null) {
        sb.append(sb.isEmpty() ? "?" : "&").append(enc(k)).append('=').append(enc(String.valueOf(v)));
      }
    });
    return sb.toString();
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "application/json");
    if (apiKey != null && !apiKey.isBlank()) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    return b;
  }

  public JsonNode get(String path) {
    return send(request(path).timeout(Duration.ofMinutes(2)).GET().build());
  }

  public JsonNode post(String path, Object body) {
    try {
      String s = body instanceof String str ? str : JSON.writeValueAsString(body == null ? Map.of() : body);
      return send(request(path).timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
          .POST(BodyPublishers.ofString(s)).build());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  public JsonNode put(String path, Object body) {
    try {
      String s = JSON.writeValueAsString(body == null ? Map.of() : body);
      return send(request(path).timeout(Duration.ofMinutes(2)).header("Content-Type", "application/json")
          .PUT(BodyPublishers.ofString(s)).build());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  public JsonNode delete(String path) {
    return send(request(path).timeout(Duration.ofMinutes(2)).DELETE().build());
  }

  /** The file itself as the body, streamed from disk. */
  public JsonNode postFile(String path, Path file, String contentType) throws IOException {
    return send(request(path).timeout(Duration.ofMinutes(30)).header("Content-Type", contentType)
        .POST(BodyPublishers.ofFile(file)).build());
  }

  /** multipart/form-data with text fields and files, streamed from disk. */
  public JsonNode postMultipart(String path, Map<String, String> fields, Map<String, Path> files) throws IOException {
    String boundary = "promptune-" + UUID.randomUUID();
    List<BodyPublisher> parts = new ArrayList<>();
    for (var f : fields.entrySet()) {
      if (f.getValue() != null) {
        parts.add(BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; name=\""
            + f.getKey() + "\"\r\n\r\n" + f.getValue() + "\r\n"));
      }
    }
    for (var f : files.entrySet()) {
      parts.add(BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
          + "\"; filename=\"" + f.getValue().getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
      parts.add(BodyPublishers.ofFile(f.getValue()));
      parts.add(BodyPublishers.ofString("\r\n"));
    }
    parts.add(BodyPublishers.ofString("--" + boundary + "--\r\n"));
    return send(request(path).timeout(Duration.ofMinutes(30))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(BodyPublishers.concat(parts.toArray(BodyPublisher[]::new))).build());
  }

  private JsonNode send(HttpRequest req) {
    HttpResponse<String> res;
    try {
      res = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException e) {
      throw unreachable();
    } catch (HttpTimeoutException e) {
      throw new GatewayException(504, "TIMEOUT", "The gateway at " + base + " did not answer in time.");
    } catch (IOException e) {
      throw new GatewayException(0, "UNREACHABLE", "Talking to the gateway at " + base + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(0, "INTERRUPTED", "interrupted");
    }
    return parse(res.statusCode(), res.body());
  }

  private GatewayException unreachable() {
    return new GatewayException(0, "UNREACHABLE", "Cannot reach the gateway at " + base + ". Is Promptune "
        + "running (./promptune status)? Set --gateway or PROMPTUNE_GATEWAY_URL if it runs elsewhere.");
  }

  private JsonNode parse(int status, String body) {
    JsonNode node;
    try {
      node = body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      node = null;
    }
    if (status >= 200 && status < 300) {
      if (node == null) {
        throw new GatewayException(status, "BAD_RESPONSE", "The gateway answered something that is not JSON.");
      }
      return node;
    }
    if (node != null && node.path("error").isObject()) {
      JsonNode e = node.get("error");
      String msg = e.path("message").asText("HTTP " + status);
      if (status == 401 && (apiKey == null || apiKey.isBlank())) {
        msg += " (No key given: use --api-key or PROMPTUNE_API_KEY, or create one with: promptune keys create "
            + "--role admin --save)";
      }
      throw new GatewayException(status, e.path("code").asText("HTTP_" + status), msg,
          e.path("details").isObject() ? e.get("details") : null);
    }
    return throwWith(status, "HTTP_" + status, "The gateway answered HTTP " + status + ".");
  }

  private static JsonNode throwWith(int status, String code, String message) {
    throw new GatewayException(status, code, message);
  }

  /**
   * Follows a server-sent-event stream; calls {@code onEvent(name, data)} for each event until it returns false,
   * the stream ends, or an 'end' event arrives. Reconnects (from the last event id) if the connection drops.
   */
  public void followEvents(String path, BiPredicate<String, JsonNode> onEvent) {
    long last = 0;
    int failures = 0;
    while (true) {
      String p = path + (last > 0 ? (path.contains("?") ? "&" : "?") + "from=" + (last + 1) : "");
      HttpRequest req = request(p).header("Accept", "text/event-stream").GET().build();
      HttpResponse<Stream<String>> res;
      try {
        res = http.send(req, HttpResponse.BodyHandlers.ofLines());
      } catch (ConnectException e) {
        if (++failures > 10) {
          throw unreachable();
        }
        sleep(failures);
        continue;
      } catch (IOException e) {
        if (++failures > 10) {
          throw new GatewayException(0, "UNREACHABLE", "The progress stream broke: " + e);
        }
        sleep(failures);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (res.statusCode() != 200) {
        String body = res.body().reduce("", (a, b) -> a + b + "\n");
        parse(res.statusCode(), body);
      }
      String name = "message";
      StringBuilder data = new StringBuilder();
      try (Stream<String> lines = res.body()) {
        var it = lines.iterator();
        while (it.hasNext()) {
          String line = it.next();
          if (line.isEmpty()) {
            if (!data.isEmpty()) {
              JsonNode d = readJson(data.toString());
              if (d.has("sequence")) {
                last = Math.max(last, d.get("sequence").asLong());
              }
              boolean more = onEvent.test(name, d);
              if (!more || name.equals("end") || name.equals("error")) {
                return;
              }
            }
            name = "message";
            data.setLength(0);
          } else if (line.startsWith("event:")) {
            name = line.substring(6).trim();
          } else if (line.startsWith("data:")) {
            if (!data.isEmpty()) {
              data.append('\n');
            }
            data.append(line.substring(5).stripLeading());
          }
        }
      } catch (RuntimeException e) {
        if (e instanceof GatewayException) {
          throw e;
        }
        // connection dropped mid-stream: reconnect from the last event
      }
      failures++;
      if (failures > 10) {
        throw new GatewayException(0, "UNREACHABLE", "The progress stream kept breaking.");
      }
      sleep(1);
    }
  }

  private static JsonNode readJson(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      ObjectNode n = JSON.createObjectNode();
      n.put("raw", s);
      return n;
    }
  }

  private static void sleep(int seconds) {
    try {
      Thread.sleep(Math.min(5, seconds) * 1000L);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads a small JSON file (e.g. a job spec). */
  public static JsonNode readFile(Path p) throws IOException {
    return JSON.readTree(Files.readAllBytes(p));
  }
}
