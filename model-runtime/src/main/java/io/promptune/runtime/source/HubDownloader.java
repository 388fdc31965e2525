package io.promptune.runtime.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * Downloads a T5 checkpoint from the Hugging Face Hub (or a mirror with the same URL layout) into a local cache:
 * {@code config.json}, {@code tokenizer.json} when the repo has one, and {@code model.safetensors} or
 * {@code model.safetensors.index.json} plus its shards.
 *
 * <p>Files are fetched from {@code {endpoint}/{repo}/resolve/{revision}/{file}}. A HEAD request (redirects not
 * followed) reads the expected checksum: {@code X-Linked-Etag} (LFS files, the sha256 of the content) or
 * {@code ETag} (small files, the git blob sha1). The body is streamed to {@code <file>.incomplete}; an interrupted
 * transfer resumes with an HTTP Range request, in this process or the next. A finished file whose checksum differs
 * is deleted and the download fails. A snapshot is used only when every file of it was verified (a
 * {@code .complete} marker), so a cached model loads with no network at all.
 */
public final class HubDownloader {

  private static final Logger LOG = Logger.getLogger(HubDownloader.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String COMPLETE_MARKER = ".complete";
  static final String PARTIAL_SUFFIX = ".incomplete";
  private static final int MAX_REDIRECTS = 5;

  private final URI endpoint;
  private final Path cacheRoot;
  private final boolean offline;
  private final String token;
  private final int attempts;
  private final HttpClient http;

  /**
   * @param endpoint  e.g. https://huggingface.co
   * @param cacheRoot snapshots go to {@code cacheRoot/hub/<org>--<name>/<revision>/}
   * @param token     bearer token for gated or private repos (HF_TOKEN), or null
   * @param attempts  tries per file; each retry resumes where the last stopped
   */
  public HubDownloader(URI endpoint, Path cacheRoot, boolean offline, String token, int attempts) {
    this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", "") + "/");
    this.cacheRoot = cacheRoot;
    this.offline = offline;
    this.token = token == null || token.isBlank() ? null : token.strip();
    this.attempts = Math.max(1, attempts);
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** The cache directory of one snapshot. */
  public Path snapshotDir(ModelSpecifier.HubModel model) {
    return cacheRoot.resolve("hub").resolve(model.repo().replace("/", "--"))
        .resolve(model.revision().replace("/", "--"));
  }

  /** Returns the local snapshot directory of {@code model}, downloading what is missing. */
  public Path fetch(ModelSpecifier.HubModel model) {
    Path dir = snapshotDir(model);
    if (Files.isRegularFile(dir.resolve(COMPLETE_MARKER))) {
      LOG.infof("model %s: using the cached snapshot %s", model.id(), dir);
      return dir;
    }
    if (offline) {
      throw new ModelSourceException("model " + model.id() + " is not in the cache (" + dir + ") and offline mode is on "
          + "(promptune.runtime.offline=true). Run once with network access and offline=false, copy the checkpoint "
          + "files into that directory, or set promptune.runtime.model to a local checkpoint directory");
    }
    try {
      Files.createDirectories(dir);
      try (FileChannel lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
        if (Files.isRegularFile(dir.resolve(COMPLETE_MARKER))) {
          return dir; // another process finished it while we waited
        }
        download(model, dir);
        Files.writeString(dir.resolve(COMPLETE_MARKER), model.id() + "\n");
      }
      return dir;
    } catch (ConnectException | UnknownHostException | HttpConnectTimeoutException e) {
      throw new ModelSourceException("model " + model.id() + ": cannot reach " + endpoint + " (" + e + ") and there is "
          + "no complete cached copy in " + dir + ". Check the network or promptune.runtime.hub.endpoint, or set "
          + "promptune.runtime.model to a local checkpoint directory", e);
    } catch (IOException e) {
      throw new ModelSourceException("model " + model.id() + ": download into " + dir + " failed: " + e
          + ". Run again to resume", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelSourceException("model " + model.id() + ": download interrupted", e);
    }
  }

  private void download(ModelSpecifier.HubModel model, Path dir) throws IOException, InterruptedException {
    LOG.infof("model %s: downloading from %s into %s", model.id(), endpoint, dir);
    fetchFile(model, "config.json", dir, true);
    fetchFile(model, "tokenizer.json", dir, false);
    if (fetchFile(model, "model.safetensors", dir, false)) {
      return;
    }
    if (!fetchFile(model, "model.safetensors.index.json", dir, false)) {
      throw new ModelSourceException("model " + model.id() + " has neither model.safetensors nor "
          + "model.safetensors.index.json at " + endpoint + "; only safetensors weights are supported (convert with "
          + "save_pretrained(dir, safe_serialization=True) and use the local directory)");
    }
    JsonNode map = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile()).get("weight_map");
    if (map == null || !map.isObject()) {
      throw new ModelSourceException("model " + model.id() + ": model.safetensors.index.json has no weight_map");
    }
    TreeSet<String> shards = new TreeSet<>();
    for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
      String shard = it.next().asText();
      if (shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
        throw new ModelSourceException("model " + model.id() + ": refusing shard file name '" + shard + "'");
      }
      shards.add(shard);
    }
    for (String shard : shards) {
      fetchFile(model, shard, dir, true);
    }
  }

  /** Downloads one file unless it is already there and verified; false when the repo does not have it. */
  private boolean fetchFile(ModelSpecifier.HubModel model, String file, Path dir, boolean required)
      throws IOException, InterruptedException {
    URI url = endpoint.resolve(model.repo() + "/resolve/" + URLEncoder.encode(model.revision(), StandardCharsets.UTF_8)
        + "/" + file);
    Remote remote = head(model, file, url);
    if (remote == null) {
      if (required) {
        throw new ModelSourceException("model " + model.id() + " has no " + file + " at " + url
            + "; check the repo id and revision");
      }
      return false;
    }
    Path target = dir.resolve(file);
    if (Files.isRegularFile(target) && Checksums.matches(target, remote.etag())) {
      return true;
    }
    Path partial = dir.resolve(file + PARTIAL_SUFFIX);
    IOException last = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        transfer(model, file, remote.downloadUrl(), partial);
        last = null;
        break;
      } catch (IOException e) {
        last = e;
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        LOG.warnf("model %s: %s interrupted after %d bytes (attempt %d of %d): %s", model.id(), file, have, attempt,
            attempts, e.toString());
      }
    }
    if (last != null) {
      throw last;
    }
    verify(model, file, partial, remote);
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return true;
  }

  private void verify(ModelSpecifier.HubModel model, String file, Path partial, Remote remote) throws IOException {
    long size = Files.size(partial);
    if (remote.size() >= 0 && size != remote.size()) {
      Files.deleteIfExists(partial);
      throw new ModelSourceException("model " + model.id() + ": " + file + " has " + size + " bytes but the Hub "
          + "announced " + remote.size() + "; the file was deleted, run again to download it afresh");
    }
    Optional<String> kind = Checksums.kind(remote.etag());
    if (kind.isEmpty()) {
      LOG.warnf("model %s: %s has no checksum in its ETag ('%s'); only its size was checked", model.id(), file,
          remote.etag());
      return;
    }
    String actual = Checksums.compute(partial, kind.get());
    if (!actual.equals(remote.etag())) {
      Files.deleteIfExists(partial);
      throw new ModelSourceException("model " + model.id() + ": checksum mismatch for " + file + " (expected "
          + kind.get() + " " + remote.etag() + ", got " + actual + "); the corrupt file was deleted, run again to "
          + "download it afresh");
    }
  }

  /** What the HEAD request said about a file. */
  record Remote(URI downloadUrl, String etag, long size) {}

  private Remote head(ModelSpecifier.HubModel model, String file, URI url) throws IOException, InterruptedException {
    URI current = url;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpResponse<Void> r = http.send(request(current, url).method("HEAD", HttpRequest.BodyPublishers.noBody())
          .build(), HttpResponse.BodyHandlers.discarding());
      int code = r.statusCode();
      if (code == 404) {
        return null;
      }
      if (code == 401 || code == 403) {
        throw new ModelSourceException("model " + model.id() + ": " + file + " answered HTTP " + code + "; the repo "
            + "is private or gated, or does not exist. Accept its terms on the Hub and set HF_TOKEN "
            + "(promptune.runtime.hub.token), or check the id");
      }
      String linked = r.headers().firstValue("X-Linked-Etag").orElse(null);
      if (code >= 300 && code < 400) {
        URI location = current.resolve(r.headers().firstValue("Location")
            .orElseThrow(() -> new IOException("redirect without Location from " + url)));
        if (linked != null) { // an LFS file: the redirect target is the storage URL, the etag is its sha256
          long size = r.headers().firstValueAsLong("X-Linked-Size").orElse(-1);
          return new Remote(location, Checksums.normalizeEtag(linked), size);
        }
        current = location; // e.g. a renamed repo; follow and ask again
        continue;
      }
      if (code / 100 != 2) {
        throw new IOException("HEAD " + current + " answered HTTP " + code);
      }
      String etag = linked != null ? linked : r.headers().firstValue("ETag").orElse("");
      long size = r.headers().firstValueAsLong("X-Linked-Size")
          .orElse(r.headers().firstValueAsLong("Content-Length").orElse(-1));
      return new Remote(current, Checksums.normalizeEtag(etag), size);
    }
    throw new IOException("too many redirects from " + url);
  }

  /** GETs {@code url} into {@code partial}, resuming from its current size with a Range request. */
  private void transfer(ModelSpecifier.HubModel model, String file, URI url, Path partial)
      throws IOException, InterruptedException {
    long have = Files.exists(partial) ? Files.size(partial) : 0;
    URI current = url;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder req = request(current, url).GET();
      if (have > 0) {
        req.header("Range", "bytes=" + have + "-");
      }
      HttpResponse<InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
      int code = r.statusCode();
      if (code >= 300 && code < 400) {
        r.body().close();
        current = current.resolve(r.headers().firstValue("Location")
            .orElseThrow(() -> new IOException("redirect without Location from " + url)));
        continue;
      }
      if (code == 416) { // nothing left to send: the partial file is whole (verified next)
        r.body().close();
        return;
      }
      boolean append = code == 206;
      if (code != 200 && code != 206) {
        r.body().close();
        throw new IOException("GET " + current + " answered HTTP " + code);
      }
      if (have > 0) {
        LOG.infof("model %s: %s %s at byte %d", model.id(), file, append ? "resuming" : "restarting (no range support)",
            have);
      }
      try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        in.transferTo(out);
      }
      return;
    }
    throw new IOException("too many redirects from " + url);
  }

  /** Sends the token only to the endpoint's own host, never to the storage hosts it redirects to. */
  private HttpRequest.Builder request(URI uri, URI origin) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2))
        .header("User-Agent", "promptune-model-runtime");
    if (token != null && uri.getHost() != null
        && uri.getHost().toLowerCase(Locale.ROOT).equals(origin.getHost().toLowerCase(Locale.ROOT))) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }
}
