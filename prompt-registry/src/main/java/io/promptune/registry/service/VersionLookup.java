package io.promptune.registry.service;

import io.promptune.registry.domain.Ensemble;
import io.promptune.registry.domain.LineageEdge;
import io.promptune.registry.domain.RegistryException;
import io.promptune.registry.domain.Version;
import io.promptune.registry.domain.VersionRef;
import io.promptune.registry.persistence.AliasRepository;
import io.promptune.registry.persistence.EnsembleRepository;
import io.promptune.registry.persistence.LineageRepository;
import io.promptune.registry.persistence.PromptRepository;
import io.promptune.registry.persistence.VersionRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
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

  @Inject
  EnsembleRepository ensembles;

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

  /** The same versions with their lineage parents filled in, and the members (without tensors) of ensembles. */
  public List<Version> withParents(Connection c, List<Version> list) throws SQLException {
    Map<UUID, List<LineageEdge>> byChild = new LinkedHashMap<>();
    for (Version v : list) {
      byChild.put(v.id(), new ArrayList<>());
    }
    for (LineageEdge e : lineage.parentsOf(c, byChild.keySet())) {
      byChild.get(e.child()).add(e);
    }
    List<UUID> ensembleIds = list.stream().filter(Version::isEnsemble).map(Version::id).toList();
    Map<UUID, List<UUID>> memberIds = ensembles.membersOf(c, ensembleIds);
    Map<UUID, Version> members = new HashMap<>();
    for (Version m : versions.findAll(c, memberIds.values().stream().flatMap(List::stream).distinct().toList())) {
      members.put(m.id(), m);
    }
    return list.stream().map(v -> {
      Version out = v.withParents(byChild.get(v.id()));
      if (v.isEnsemble()) {
        out = out.withEnsemble(v.ensemble().withMembers(memberIds.getOrDefault(v.id(), List.of()).stream()
            .map(id -> Ensemble.Member.of(members.get(id))).toList()));
      }
      return out;
    }).toList();
  }

  /** An ensemble with its members' tensor bytes filled in (a single prompt is returned as it is). */
  public Version withMemberTensors(Connection c, Version v) throws SQLException {
    if (!v.isEnsemble()) {
      return v;
    }
    Map<UUID, byte[]> data = versions.tensorsOf(c, v.ensemble().members().stream()
        .map(Ensemble.Member::versionId).toList());
    return v.withEnsemble(v.ensemble().withMembers(v.ensemble().members().stream()
        .map(m -> new Ensemble.Member(m.versionId(), m.promptName(), m.number(), m.length(), m.dModel(),
            m.sha256(), data.get(m.versionId()))).toList()));
  }

  public Version withParents(Connection c, Version v) throws SQLException {
    return withParents(c, List.of(v)).get(0);
  }
}
