package io.promptune.runtime.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.common.safetensors.SafetensorsWriter;
import io.promptune.common.safetensors.TensorData;
import io.promptune.runtime.load.GeneratedCheckpoint;
import io.promptune.runtime.load.T5Checkpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hub download path against a loopback server that behaves like huggingface.co. */
class HubDownloaderTest {

  static final String REPO = "acme/tiny-t5";
  static byte[] config;
  static byte[] weights;
  static String fingerprint;

  @TempDir
  Path cache;
  FakeHub hub;

  @BeforeAll
  static void generate(@TempDir Path tmp) throws IOException {
    Path dir = GeneratedCheckpoint.write(tmp.resolve("m"), "hub-test", 7, GeneratedCheckpoint.Shape.byteDemo());
    config = Files.readAllBytes(dir.resolve("config.json"));
    weights = Files.readAllBytes(dir.resolve("model.safetensors"));
    fingerprint = T5Checkpoint.load(dir).fingerprint();
  }

  @BeforeEach
  void start() throws IOException {
    hub = new FakeHub();
    hub.put(REPO, "main", "config.json", config);
    hub.put(REPO, "main", "model.safetensors", weights);
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  HubDownloader downloader(boolean offline) {
    return new HubDownloader(hub.endpoint(), cache, offline, null, 3);
  }

  static ModelSpecifier.HubModel model() {
    return new ModelSpecifier.HubModel(REPO, "main");
  }

  @Test
  void downloadsVerifiesAndLoads() throws IOException {
    Path dir = downloader(false).fetch(model());
    assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
    assertArrayEquals(config, Files.readAllBytes(dir.resolve("config.json")));
    assertFalse(Files.exists(dir.resolve("tokenizer.json")), "optional file absent on the Hub stays absent");
    assertTrue(hub.log.stream().anyMatch(l -> l.startsWith("GET /cdn/")), "LFS file fetched through the redirect");
    assertEquals(fingerprint, T5Checkpoint.load(dir).fingerprint());
  }

  @Test
  void cachedSnapshotLoadsWithoutNetwork() {
    Path first = downloader(false).fetch(model());
    hub.close();
    assertEquals(first, downloader(true).fetch(model()), "offline with a complete cache");
    assertEquals(first, downloader(false).fetch(model()), "host gone with a complete cache");
  }

  @Test
  void interruptedTransferResumesWithRange() throws IOException {
    String sha = Checksums.sha256(weights);
    hub.interruptOnce.add(sha);
    Path dir = downloader(false).fetch(model());
    assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
    // The server sends half the body and drops the connection; how much of that half reaches the client before the
    // reset depends on the socket buffers, so the resume offset is anything in (0, half].
    int half = weights.length / 2;
    String prefix = "GET /cdn/" + sha + " bytes=";
    long resumedAt = hub.log.stream().filter(l -> l.startsWith(prefix) && l.endsWith("-"))
        .mapToLong(l -> Long.parseLong(l.substring(prefix.length(), l.length() - 1))).findFirst().orElse(-1);
    assertTrue(resumedAt > 0 && resumedAt <= half, "expected a Range resume within the first half: " + hub.log);
  }

  @Test
  void partialFileFromAnEarlierRunIsResumed() throws IOException {
    HubDownloader d = downloader(false);
    Path dir = d.snapshotDir(model());
    Files.createDirectories(dir);
    int have = weights.length / 3;
    Files.write(dir.resolve("model.safetensors" + HubDownloader.PARTIAL_SUFFIX), Arrays.copyOf(weights, have));
    d.fetch(model());
    assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
    String sha = Checksums.sha256(weights);
    assertTrue(hub.log.contains("GET /cdn/" + sha + " bytes=" + have + "-"), hub.log.toString());
    assertFalse(hub.log.contains("GET /cdn/" + sha), "never downloaded from scratch");
  }

  @Test
  void corruptedFileIsRejectedAndDeleted() {
    byte[] bad = weights.clone();
    bad[bad.length / 2] ^= 0x5A;
    hub.servedInstead.put(Checksums.sha256(weights), bad);
    HubDownloader d = downloader(false);
    ModelSourceException e = assertThrows(ModelSourceException.class, () -> d.fetch(model()));
    assertTrue(e.getMessage().contains("checksum mismatch for model.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains(REPO), e.getMessage());
    Path dir = d.snapshotDir(model());
    assertFalse(Files.exists(dir.resolve("model.safetensors")));
    assertFalse(Files.exists(dir.resolve("model.safetensors" + HubDownloader.PARTIAL_SUFFIX)));
    assertFalse(Files.exists(dir.resolve(HubDownloader.COMPLETE_MARKER)));
    // the next run, with the Hub fixed, succeeds
    hub.servedInstead.clear();
    assertArrayEquals(weights, read(d.fetch(model()).resolve("model.safetensors")));
  }

  @Test
  void corruptedSmallFileIsRejected() {
    hub.servedInstead.put(REPO + "/main/config.json", "{\"d_model\": 1}".getBytes(StandardCharsets.UTF_8));
    ModelSourceException e = assertThrows(ModelSourceException.class, () -> downloader(false).fetch(model()));
    assertTrue(e.getMessage().contains("checksum mismatch for config.json (expected git-sha1"), e.getMessage());
  }

  @Test
  void shardedCheckpoint() throws IOException {
    Path tmp = cache.resolve("src");
    Files.createDirectories(tmp);
    Files.write(tmp.resolve("model.safetensors"), weights);
    SortedMap<String, TensorData> all = T5Checkpoint.load(writeConfig(tmp)).tensors();
    SortedMap<String, TensorData> a = new TreeMap<>();
    SortedMap<String, TensorData> b = new TreeMap<>();
    StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
    int i = 0;
    for (Map.Entry<String, TensorData> e : all.entrySet()) {
      String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
      (i % 2 == 1 ? a : b).put(e.getKey(), e.getValue());
      index.append(i > 1 ? "," : "").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
    }
    index.append("}}");
    SafetensorsWriter.writeF32(tmp.resolve("s1"), a, Map.of("format", "pt"));
    SafetensorsWriter.writeF32(tmp.resolve("s2"), b, Map.of("format", "pt"));
    String repo = "acme/sharded";
    hub.put(repo, "v2", "config.json", config);
    hub.put(repo, "v2", "model.safetensors.index.json", index.toString().getBytes(StandardCharsets.UTF_8));
    hub.put(repo, "v2", "model-00001-of-00002.safetensors", Files.readAllBytes(tmp.resolve("s1")));
    hub.put(repo, "v2", "model-00002-of-00002.safetensors", Files.readAllBytes(tmp.resolve("s2")));
    Path dir = downloader(false).fetch(new ModelSpecifier.HubModel(repo, "v2"));
    assertEquals(fingerprint, T5Checkpoint.load(dir).fingerprint(), "same weights, sharded");
  }

  @Test
  void offlineWithoutCacheSaysWhatToDo() {
    ModelSourceException e = assertThrows(ModelSourceException.class, () -> downloader(true).fetch(model()));
    assertTrue(e.getMessage().contains(REPO + "@main"), e.getMessage());
    assertTrue(e.getMessage().contains("offline"), e.getMessage());
    assertTrue(hub.log.isEmpty(), "offline means no request at all");
  }

  @Test
  void unreachableHostWithoutCacheSaysWhatToDo() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    HubDownloader d = new HubDownloader(URI.create("http://127.0.0.1:" + closedPort), cache, false, null, 2);
    ModelSourceException e = assertThrows(ModelSourceException.class, () -> d.fetch(model()));
    assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
    assertTrue(e.getMessage().contains(REPO + "@main"), e.getMessage());
  }

  @Test
  void missingRepoIsNamed() {
    ModelSourceException e = assertThrows(ModelSourceException.class,
        () -> downloader(false).fetch(new ModelSpecifier.HubModel("acme/nope", "main")));
    assertTrue(e.getMessage().contains("acme/nope@main has no config.json"), e.getMessage());
  }

  @Test
  void locatorDownloadsOnlyForHubIds(@TempDir Path local) throws IOException {
    ModelLocator locator = new ModelLocator(cache, hub.endpoint(), false, null);
    Files.write(local.resolve("config.json"), config);
    assertEquals(local.toAbsolutePath().normalize(), locator.locate(local.toString()).dir());
    assertEquals(REPO + "@main", locator.locate(REPO).modelId());
    assertTrue(hub.log.stream().allMatch(l -> l.contains(REPO) || l.startsWith("GET /cdn/") || l.startsWith("HEAD /cdn")),
        hub.log.toString());
  }

  private static Path writeConfig(Path dir) throws IOException {
    Files.write(dir.resolve("config.json"), config);
    return dir;
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }
}
