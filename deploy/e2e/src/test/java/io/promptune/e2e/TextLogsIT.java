package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The default console (PROMPTUNE_LOG_JSON unset) is readable text, not JSON: the shared deployment's logs follow
 * quarkus.log.console.format ({@code %d{HH:mm:ss.SSS} %-5p [%c{2.}] %s%e%n}). {@link TracingIT} shows the switch
 * turned on.
 */
@ExtendWith(SharedDeployment.class)
class TextLogsIT {

  /** A line as the services' console format writes it: time, level, [category], message. */
  static final Pattern TEXT_LINE = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) "
      + "\\[[^\\]]+\\] .*");

  @Test
  void withoutTheSwitchEveryServiceLogsText(Deployment shared) throws Exception {
    for (String process : List.of("gateway", "runtime", "registry", "trainer")) {
      List<String> lines = Files.readAllLines(shared.home().resolve("logs").resolve(process + ".log"),
          StandardCharsets.UTF_8);
      assertTrue(lines.stream().filter(TEXT_LINE.asPredicate()).count() >= 3, () -> process
          + " has no text log lines:\n" + String.join("\n", lines.subList(0, Math.min(20, lines.size()))));
      List<String> json = lines.stream().filter(l -> l.startsWith("{")).toList();
      assertTrue(json.isEmpty(), () -> process + " logged JSON without the switch: " + json);
    }
  }
}
