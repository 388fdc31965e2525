package io.promptune.registry.domain;

import io.promptune.api.v1.LineageRelation;
import java.util.UUID;

/** child --relation--> parent; the parent is a version here ({@code parent}) or outside ({@code externalRef}). */
public record LineageEdge(UUID child, UUID parent, String externalRef, LineageRelation relation) {

  public boolean isExternal() {
    return parent == null;
  }
}
