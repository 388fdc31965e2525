package io.promptune.registry.service;

import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.LineageRepository;
import io.promptune.registry.persistence.VersionRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Breadth-first walks over the lineage graph (a DAG: a parent always exists before its child). */
@ApplicationScoped
public class LineageService {

  public static final int DEFAULT_DEPTH = 10;
  public static final int MAX_DEPTH = 100;

  /** Which way to walk from the start version. */
  public enum Direction { UP, DOWN, BOTH }

  /** Every version reached (start first, then in the order reached, without tensors) and the edges followed. */
  public record Graph(List<Version> versions, List<LineageEdge> edges) {}

  @Inject
  Database db;

  @Inject
  LineageRepository lineage;

  @Inject
  VersionRepository versions;

  @Inject
  VersionLookup lookup;

  /** {@code maxDepth} 0 means {@value #DEFAULT_DEPTH}; above {@value #MAX_DEPTH} is capped. */
  public Graph walk(VersionRef start, Direction direction, int maxDepth) {
    if (maxDepth < 0) {
      throw RegistryException.invalid("max_depth", "max_depth must not be negative, got " + maxDepth);
    }
    int depth = maxDepth == 0 ? DEFAULT_DEPTH : Math.min(maxDepth, MAX_DEPTH);
    return db.read(c -> {
      Version origin = lookup.resolve(c, start, false);
      Set<UUID> reached = new LinkedHashSet<>(List.of(origin.id()));
      Set<LineageEdge> edges = new LinkedHashSet<>();
      if (direction != Direction.DOWN) {
        walk(c, origin.id(), depth, reached, edges, true);
      }
      if (direction != Direction.UP) {
        walk(c, origin.id(), depth, reached, edges, false);
      }
      Map<UUID, Version> byId = versions.findAll(c, reached).stream()
          .collect(Collectors.toMap(Version::id, Function.identity()));
      List<Version> ordered = reached.stream().map(byId::get).toList();
      return new Graph(lookup.withParents(c, ordered), List.copyOf(edges));
    });
  }

  private void walk(Connection c, UUID origin, int depth, Set<UUID> reached, Set<LineageEdge> edges, boolean up)
      throws SQLException {
    Collection<UUID> frontier = List.of(origin);
    Set<UUID> visited = new LinkedHashSet<>(frontier);
    for (int level = 0; level < depth && !frontier.isEmpty(); level++) {
      List<UUID> next = new ArrayList<>();
      for (LineageEdge e : up ? lineage.parentsOf(c, frontier) : lineage.childrenOf(c, frontier)) {
        edges.add(e);
        UUID other = up ? e.parent() : e.child();
        // External parents are leaves; a version reached twice (a diamond) is expanded once.
        if (other != null && visited.add(other)) {
          reached.add(other);
          next.add(other);
        }
      }
      frontier = next;
    }
  }
}
