package io.promptune.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * gRPC stays at the edges: the gRPC service ({@code grpc}) and the clients of other services ({@code clients})
 * translate; jobs, the queue, datasets, events and the rest never see a gRPC type.
 */
class LayeringTest {

  private static final List<String> EDGES = List.of("grpc", "clients");

  @Test
  void onlyTheEdgesImportGrpc() throws IOException {
    Path root = Path.of("src/main/java/io/promptune/trainer");
    List<String> offenders;
    try (Stream<Path> files = Files.walk(root)) {
      offenders = files.filter(f -> f.toString().endsWith(".java"))
          .filter(f -> !EDGES.contains(root.relativize(f).getName(0).toString()))
          .filter(f -> read(f).lines().anyMatch(l -> l.startsWith("import io.grpc.")))
          .map(f -> root.relativize(f).toString()).sorted().toList();
    }
    assertEquals(List.of(), offenders, "these import io.grpc; throw ServiceException and let the gRPC layer map it");
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
