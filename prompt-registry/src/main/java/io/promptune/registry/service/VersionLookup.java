package io.promptune.registry.service;

import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.persistence.AliasRepository;
import io.promptune.registry.persistence.LineageRepository;
import io.promptune.registry.persistence.PromptRepository;
import io.promptune.registry.persistence.VersionRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Resolves a {@link VersionRef} inside a transaction, with a NOT_FOUND that says which part is missing. */
@ApplicationScoped
public class VersionLookup {

  @Inject
  VersionRepository versions;

  @Inject
  PromptRepository prompts;

  @Inject
  AliasRepository aliases;

  @Inject
  LineageRepository lineage;

  @Inject
  EnvironmentService environments;

  /** The version (without its parents). */
  public Version resolve(Connection c, VersionRef ref, boolean withTensor) throws SQLException {
    return switch (ref) {
      case VersionRef.ById byId -> versions.findById(c, byId.id(), withTensor)
          .orElseThrow(() -> RegistryException.notFound("version " + byId.id() + " does not exist"));
      case VersionRef.ByNumber n -> {
        var found = versions.findByNumber(c, n.promptName(), n.number(), withTensor);
        if (found.isPresent()) {
          yield found.get();
        }
        var prompt = prompts.findByName(c, n.promptName()).orElseThrow(() -> Errors.promptNotFound(n.promptName()));
        throw RegistryException.notFound("prompt '" + n.promptName() + "' has no version " + n.number()
            + (prompt.latestVersion() == 0 ? " (it has no versions yet)"
                : " (its versions are 1 to " + prompt.latestVersion() + ")"));
      }
      case VersionRef.ByEnvironment e -> {
        environments.require(c, e.environment(), "environment");
        var found = versions.findByAlias(c, e.promptName(), e.environment(), withTensor);
        if (found.isPresent()) {
          yield found.get();
        }
        prompts.findByName(c, e.promptName()).orElseThrow(() -> Errors.promptNotFound(e.promptName()));
        throw RegistryException.notFound("prompt '" + e.promptName() + "' has no version in environment '"
            + e.environment() + "' yet; promote one there first");
      }
    };
  }

  /** The same versions with their lineage parents filled in. */
  public List<Version> withParents(Connection c, List<Version> list) throws SQLException {
    Map<UUID, List<LineageEdge>> byChild = new LinkedHashMap<>();
    for (Version v : list) {
      byChild.put(v.id(), new ArrayList<>());
    }
    for (LineageEdge e : lineage.parentsOf(c, byChild.keySet())) {
      byChild.get(e.child()).add(e);
    }
    return list.stream().map(v -> v.withParents(byChild.get(v.id()))).toList();
  }

  public Version withParents(Connection c, Version v) throws SQLException {
    return withParents(c, List.of(v)).get(0);
  }
}
