package io.promptune.runtime.source;

import io.promptune.runtime.load.GeneratedCheckpoint;
import io.promptune.runtime.load.GeneratedCheckpoint.Shape;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The {@code generated:<name>} models: deterministic random T5 checkpoints written once into the cache by
 * {@link GeneratedCheckpoint} (no download). Same name, same seed, same bytes, same fingerprint everywhere.
 */
public final class GeneratedModels {

  private static final Logger LOG = Logger.getLogger(GeneratedModels.class);

  /** Seed of every generated model. */
  public static final long SEED = 0;

  /** Known names: the demo model (byte-level, small) and a t5-small-shaped model for benchmarks. */
  public static final Map<String, Shape> SHAPES = Map.of(
      "tiny-byt5", Shape.byteDemo(),
      "t5-small-random", Shape.t5Small());

  private GeneratedModels() {}

  /** The checkpoint directory of {@code name} under {@code cacheRoot/generated}, written on first use. */
  public static Path materialize(String name, Path cacheRoot) {
    Shape shape = SHAPES.get(name);
    if (shape == null) {
      throw new ModelSourceException("unknown generated model 'generated:" + name + "'; known: "
          + SHAPES.keySet().stream().sorted().map(n -> "generated:" + n).toList());
    }
    Path dir = cacheRoot.resolve("generated").resolve(name + "-seed" + SEED);
    if (isComplete(dir)) {
      return dir;
    }
    try {
      Files.createDirectories(dir.getParent());
      try (FileChannel lockFile = FileChannel.open(dir.getParent().resolve(name + ".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
        if (isComplete(dir)) {
          return dir;
        }
        Path tmp = Files.createTempDirectory(dir.getParent(), name + ".tmp");
        LOG.infof("writing generated model generated:%s into %s", name, dir);
        GeneratedCheckpoint.write(tmp, name, SEED, shape);
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      }
      return dir;
    } catch (IOException e) {
      throw new ModelSourceException("cannot write generated model generated:" + name + " into " + dir + ": " + e
          + "; check promptune.runtime.cache-dir is writable", e);
    }
  }

  private static boolean isComplete(Path dir) {
    return Files.isRegularFile(dir.resolve("config.json")) && Files.isRegularFile(dir.resolve("model.safetensors"));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
