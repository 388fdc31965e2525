package io.promptune.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's example is the compiled one in ReadmeExample.java, character for character (indentation aside). */
class ReadmeExampleTest {

  private static String between(String text, String start, String end, String what) {
    int from = text.indexOf(start);
    int to = text.indexOf(end);
    assertTrue(from >= 0 && to > from, what + " has no " + start + " ... " + end + " block");
    return text.substring(text.indexOf('\n', from) + 1, text.lastIndexOf('\n', to) + 1);
  }

  /** Lines with the common leading indentation removed. */
  private static String dedent(String block) {
    List<String> lines = Arrays.asList(block.split("\n", -1));
    int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
        .min().orElse(0);
    return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).collect(Collectors.joining("\n"));
  }

  @Test
  void readmeShowsTheCompiledExample() throws Exception {
    String source = Files.readString(Path.of("src/test/java/io/promptune/client/ReadmeExample.java"));
    String readme = Files.readString(Path.of("README.md"));
    String fromSource = dedent(between(source, "// README:start", "// README:end", "ReadmeExample.java"));
    String fromReadme = between(readme, "<!-- example:start -->", "<!-- example:end -->", "README.md");
    // The README block is a fenced code block around the same lines.
    assertTrue(fromReadme.startsWith("```java\n") && fromReadme.endsWith("```\n"), fromReadme);
    String code = fromReadme.substring("```java\n".length(), fromReadme.length() - "```\n".length());
    assertEquals(fromSource, code);
  }
}
