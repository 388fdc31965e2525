package io.promptune.runtime.source;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback HTTP server that serves files the way the Hugging Face Hub does: {@code /{repo}/resolve/{rev}/{file}}
 * answers small files directly with a git-sha1 ETag, and LFS files (*.safetensors) with a 302 to a storage URL plus
 * {@code X-Linked-Etag} (sha256) and {@code X-Linked-Size}; storage URLs honour Range requests.
 */
final class FakeHub implements AutoCloseable {

  private final HttpServer server;
  /** "repo/rev/file" → content. */
  final Map<String, byte[]> files = new ConcurrentHashMap<>();
  /** sha256 (LFS) or "repo/rev/file" (small files) → bytes actually served, to simulate corruption. */
  final Map<String, byte[]> servedInstead = new ConcurrentHashMap<>();
  /** Storage paths whose next GET is cut off halfway. */
  final Set<String> interruptOnce = ConcurrentHashMap.newKeySet();
  /** Every request as "METHOD path [range]". */
  final List<String> log = new CopyOnWriteArrayList<>();

  FakeHub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  void put(String repo, String rev, String file, byte[] content) {
    files.put(repo + "/" + rev + "/" + file, content);
  }

  private static boolean isLfs(String file) {
    return file.endsWith(".safetensors");
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String range = ex.getRequestHeaders().getFirst("Range");
      log.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
      boolean head = ex.getRequestMethod().equals("HEAD");
      if (path.startsWith("/cdn/")) {
        serveStorage(ex, path.substring("/cdn/".length()), range, head);
        return;
      }
      int at = path.indexOf("/resolve/");
      if (at < 0) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      String repo = path.substring(1, at);
      String rest = path.substring(at + "/resolve/".length());
      String rev = rest.substring(0, rest.indexOf('/'));
      String file = rest.substring(rest.indexOf('/') + 1);
      byte[] content = files.get(repo + "/" + rev + "/" + file);
      if (content == null) {
        ex.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
        ex.sendResponseHeaders(404, -1);
        return;
      }
      ex.getResponseHeaders().add("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567");
      if (isLfs(file)) {
        String sha = Checksums.sha256(content);
        ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
        ex.getResponseHeaders().add("X-Linked-Size", Long.toString(content.length));
        ex.getResponseHeaders().add("ETag", "\"" + sha + "\"");
        ex.getResponseHeaders().add("Location", "/cdn/" + sha);
        ex.sendResponseHeaders(302, -1);
        return;
      }
      ex.getResponseHeaders().add("ETag", "\"" + Checksums.gitSha1(content) + "\"");
      if (head) {
        ex.sendResponseHeaders(200, -1);
        return;
      }
      byte[] body = servedInstead.getOrDefault(repo + "/" + rev + "/" + file, content);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    }
  }

  private void serveStorage(HttpExchange ex, String sha, String range, boolean head) throws IOException {
    byte[] content = servedInstead.get(sha);
    if (content == null) {
      content = files.values().stream().filter(c -> Checksums.sha256(c).equals(sha)).findFirst().orElse(null);
    }
    if (content == null) {
      ex.sendResponseHeaders(404, -1);
      return;
    }
    long from = 0;
    if (range != null && range.startsWith("bytes=")) {
      from = Long.parseLong(range.substring(6, range.indexOf('-')));
      if (from >= content.length) {
        ex.getResponseHeaders().add("Content-Range", "bytes */" + content.length);
        ex.sendResponseHeaders(416, -1);
        return;
      }
      ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
    }
    ex.getResponseHeaders().add("Accept-Ranges", "bytes");
    int len = (int) (content.length - from);
    if (head) {
      ex.sendResponseHeaders(range == null ? 200 : 206, -1);
      return;
    }
    ex.sendResponseHeaders(range == null ? 200 : 206, len);
    OutputStream out = ex.getResponseBody();
    if (interruptOnce.remove(sha)) {
      out.write(content, (int) from, len / 2);
      out.flush();
      // closing a fixed-length body short drops the connection: the client sees a truncated transfer
      throw new IOException("simulated interruption after " + len / 2 + " bytes");
    }
    out.write(content, (int) from, len);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
