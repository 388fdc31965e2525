package io.promptune.registry.persistence;

import io.promptune.api.v1.LineageRelation;
import io.promptune.registry.domain.LineageEdge;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/** registry.lineage_edges: written with their child version, never changed. */
@ApplicationScoped
public class LineageRepository {

  private static final String SELECT =
      "SELECT child_version_id, parent_version_id, parent_external_ref, relation FROM registry.lineage_edges ";

  public void insert(Connection c, LineageEdge edge) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.lineage_edges "
        + "(child_version_id, parent_version_id, parent_external_ref, relation) VALUES (?, ?, ?, ?)")) {
      ps.setObject(1, edge.child());
      ps.setObject(2, edge.parent());
      ps.setString(3, edge.externalRef());
      ps.setString(4, edge.relation().name());
      ps.executeUpdate();
    }
  }

  /** Edges whose child is one of {@code children}, in insertion order. */
  public List<LineageEdge> parentsOf(Connection c, Collection<UUID> children) throws SQLException {
    return query(c, SELECT + "WHERE child_version_id = ANY (?) ORDER BY id", children);
  }

  /** Edges whose parent is one of {@code parents}, in insertion order. */
  public List<LineageEdge> childrenOf(Connection c, Collection<UUID> parents) throws SQLException {
    return query(c, SELECT + "WHERE parent_version_id = ANY (?) ORDER BY id", parents);
  }

  private static List<LineageEdge> query(Connection c, String sql, Collection<UUID> ids) throws SQLException {
    if (ids.isEmpty()) {
      return List.of();
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
      List<LineageEdge> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new LineageEdge(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
              LineageRelation.valueOf(rs.getString(4))));
        }
      }
      return out;
    }
  }
}
