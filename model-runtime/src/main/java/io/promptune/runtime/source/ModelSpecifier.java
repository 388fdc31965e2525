package io.promptune.runtime.source;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code promptune.runtime.model} names: a local checkpoint directory, a Hugging Face Hub id
 * {@code org/name[@revision]}, or {@code generated:<name>} (a deterministic random model written locally).
 */
public sealed interface ModelSpecifier {

  /** The id the runtime reports (ModelInfo.model_id). */
  String id();

  record LocalDirectory(Path dir) implements ModelSpecifier {
    @Override
    public String id() {
      return dir.toString();
    }
  }

  record HubModel(String repo, String revision) implements ModelSpecifier {
    @Override
    public String id() {
      return repo + "@" + revision;
    }
  }

  record Generated(String name) implements ModelSpecifier {
    @Override
    public String id() {
      return "generated:" + name;
    }
  }

  Pattern HUB_ID = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9._/-]+))?");

  /**
   * Parses a specifier. An existing directory always wins; {@code org/name[@rev]} that is not a directory is a Hub
   * id (revision defaults to "main"); anything else must be an existing directory.
   */
  static ModelSpecifier parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new ModelSourceException("promptune.runtime.model is empty; set it to a checkpoint directory, a Hub id "
          + "'org/name[@revision]' or 'generated:<name>'");
    }
    String s = spec.strip();
    if (s.startsWith("generated:")) {
      String name = s.substring("generated:".length());
      if (name.isBlank()) {
        throw new ModelSourceException("'" + s + "' names no generated model; use e.g. generated:tiny-byt5");
      }
      return new Generated(name);
    }
    Path path = Path.of(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s);
    if (Files.isDirectory(path)) {
      return new LocalDirectory(path.toAbsolutePath().normalize());
    }
    Matcher m = HUB_ID.matcher(s);
    if (m.matches() && !s.startsWith(".") && !s.startsWith("/")) {
      return new HubModel(m.group(1), m.group(2) == null ? "main" : m.group(2));
    }
    throw new ModelSourceException("model '" + s + "' is neither an existing checkpoint directory nor a Hub id "
        + "'org/name[@revision]' nor 'generated:<name>'; check promptune.runtime.model (env PROMPTUNE_MODEL)");
  }
}
