package io.promptune.runtime.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One engine per golden checkpoint (and precision), shared by the golden test classes of this JVM. */
public final class GoldenEngines {

  private static final Map<String, DjlT5Engine> ENGINES = new ConcurrentHashMap<>();

  private GoldenEngines() {}

  public static DjlT5Engine get(String model) {
    return get(model, EngineOptions.Precision.FLOAT32);
  }

  public static synchronized DjlT5Engine get(String model, EngineOptions.Precision precision) {
    Path dir = Golden.model(model);
    Path tok = Golden.tokenizerJson();
    return ENGINES.computeIfAbsent(model + "/" + precision, k -> {
      try {
        return DjlT5Engine.load(dir, EngineOptions.defaults().withTokenizerPath(tok).withPrecision(precision));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
