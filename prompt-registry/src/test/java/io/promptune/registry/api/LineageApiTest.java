package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.grpc.Status.Code;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetLineageRequest;
import io.promptune.api.v1.Lineage;
import io.promptune.api.v1.LineageDirection;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.PromptVersion;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A branching graph across two prompts:
 *
 * <pre>
 *   hf://seed
 *      |  imported_from
 *      A
 *    /   \        initialized_from
 *   B     C
 *   | \   |
 *   D  \  |       D transferred_from B (other prompt)
 *       \ |
 *        E        ensemble_member_of B and C (a diamond)
 *        |
 *        F        initialized_from E
 * </pre>
 */
@QuarkusTest
class LineageApiTest extends RegistryTestSupport {

  private final Map<String, String> ids = new HashMap<>();
  private final Map<String, String> names = new HashMap<>();

  @BeforeEach
  void buildGraph() {
    String p = uniqueName("lineage");
    String q = uniqueName("lineage-other");
    add("A", p, Map.of(), "hf://seed");
    add("B", p, Map.of("A", LineageRelation.INITIALIZED_FROM), null);
    add("C", p, Map.of("A", LineageRelation.INITIALIZED_FROM), null);
    add("D", q, Map.of("B", LineageRelation.TRANSFERRED_FROM), null);
    add("E", p, Map.of("B", LineageRelation.ENSEMBLE_MEMBER_OF, "C", LineageRelation.ENSEMBLE_MEMBER_OF), null);
    add("F", p, Map.of("E", LineageRelation.INITIALIZED_FROM), null);
  }

  private void add(String label, String prompt, Map<String, LineageRelation> parents, String external) {
    var request = publishRequest(prompt, tensor(2, 4, label.hashCode()));
    parents.forEach((parent, relation) -> request.addParents(LineageEdge.newBuilder()
        .setParentVersionId(ids.get(parent)).setRelation(relation)));
    if (external != null) {
      request.addParents(LineageEdge.newBuilder().setParentExternalRef(external)
          .setRelation(LineageRelation.IMPORTED_FROM));
    }
    PromptVersion v = system().publishVersion(request.build());
    ids.put(label, v.getId());
    names.put(v.getId(), label);
  }

  private Lineage walk(String from, LineageDirection direction, int depth) {
    return system().getLineage(GetLineageRequest.newBuilder().setVersion(id(ids.get(from)))
        .setDirection(direction).setMaxDepth(depth).build());
  }

  private Set<String> versions(Lineage l) {
    l.getVersionsList().forEach(v -> assertFalse(v.hasTensor()));
    return l.getVersionsList().stream().map(v -> names.get(v.getId())).collect(Collectors.toSet());
  }

  /** Edges as "child>parent" labels; external parents by their ref. */
  private Set<String> edges(Lineage l) {
    return l.getEdgesList().stream().map(e -> names.get(e.getChildVersionId()) + ">"
        + (e.getParentVersionId().isEmpty() ? e.getParentExternalRef() : names.get(e.getParentVersionId())))
        .collect(Collectors.toSet());
  }

  @Test
  void upFollowsEveryParentThroughTheDiamond() {
    Lineage l = walk("F", LineageDirection.UP, 0);
    assertEquals("F", names.get(l.getVersions(0).getId()), "the start comes first");
    assertEquals(Set.of("F", "E", "B", "C", "A"), versions(l));
    assertEquals(Set.of("F>E", "E>B", "E>C", "B>A", "C>A", "A>hf://seed"), edges(l));
    assertEquals(6, l.getEdgesCount(), "each edge once, though A is reached twice");
  }

  @Test
  void depthLimitsTheWalk() {
    Lineage one = walk("F", LineageDirection.UP, 1);
    assertEquals(Set.of("F", "E"), versions(one));
    assertEquals(Set.of("F>E"), edges(one));
    Lineage two = walk("F", LineageDirection.UP, 2);
    assertEquals(Set.of("F", "E", "B", "C"), versions(two));
  }

  @Test
  void downFindsAllDescendantsAcrossPrompts() {
    Lineage l = walk("A", LineageDirection.DOWN, 10);
    assertEquals(Set.of("A", "B", "C", "D", "E", "F"), versions(l));
    assertEquals(Set.of("B>A", "C>A", "D>B", "E>B", "E>C", "F>E"), edges(l));
    assertEquals(Set.of("A", "B", "C"), versions(walk("A", LineageDirection.DOWN, 1)));
  }

  @Test
  void bothIsAncestorsPlusDescendantsNotSiblings() {
    Lineage l = walk("E", LineageDirection.BOTH, 0);
    assertEquals(Set.of("E", "B", "C", "A", "F"), versions(l));
    assertEquals(Set.of("E>B", "E>C", "B>A", "C>A", "A>hf://seed", "F>E"), edges(l));
    Lineage unspecified = system().getLineage(GetLineageRequest.newBuilder().setVersion(id(ids.get("B")))
        .setMaxDepth(1).build());
    assertEquals(Set.of("B", "A", "D", "E"), versions(unspecified));
  }

  @Test
  void versionsCarryTheirParents() {
    Lineage l = walk("E", LineageDirection.UP, 1);
    PromptVersion e = l.getVersionsList().stream().filter(v -> v.getId().equals(ids.get("E"))).findFirst()
        .orElseThrow();
    assertEquals(2, e.getParentsCount());
  }

  @Test
  void badRequests() {
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().getLineage(
        GetLineageRequest.newBuilder().setVersion(id(ids.get("A"))).setMaxDepth(-1).build()));
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getLineage(
        GetLineageRequest.newBuilder().setVersion(ref("no-such-prompt:1")).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().getLineage(
        GetLineageRequest.newBuilder().build()));
  }
}
