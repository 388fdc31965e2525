package io.promptune.runtime.source;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns {@code promptune.runtime.model} into a local checkpoint directory, downloading only for Hub ids. */
public final class ModelLocator {

  /** A checkpoint on disk and the id the runtime reports for it. */
  public record LocatedModel(ModelSpecifier specifier, Path dir) {
    public String modelId() {
      return specifier.id();
    }
  }

  private final Path cacheRoot;
  private final HubDownloader hub;

  public ModelLocator(Path cacheRoot, URI hubEndpoint, boolean offline, String hubToken) {
    this.cacheRoot = cacheRoot;
    this.hub = new HubDownloader(hubEndpoint, cacheRoot, offline, hubToken, 4);
  }

  /** Default cache root: {@code ~/.cache/promptune}. */
  public static Path defaultCacheRoot() {
    return Path.of(System.getProperty("user.home"), ".cache", "promptune");
  }

  public LocatedModel locate(String spec) {
    ModelSpecifier s = ModelSpecifier.parse(spec);
    Path dir = switch (s) {
      case ModelSpecifier.LocalDirectory local -> local.dir();
      case ModelSpecifier.Generated g -> GeneratedModels.materialize(g.name(), cacheRoot);
      case ModelSpecifier.HubModel h -> hub.fetch(h);
    };
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new ModelSourceException("model " + s.id() + ": " + dir + " has no config.json; point "
          + "promptune.runtime.model at a Hugging Face T5 checkpoint directory (config.json + model.safetensors)");
    }
    return new LocatedModel(s, dir);
  }
}
