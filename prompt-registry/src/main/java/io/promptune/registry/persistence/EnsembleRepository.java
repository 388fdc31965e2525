package io.promptune.registry.persistence;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** registry.ensemble_members: written with their ensemble version, never changed. */
@ApplicationScoped
public class EnsembleRepository {

  /** Writes the members in order (positions 0, 1, ...). */
  public void insertMembers(Connection c, UUID ensembleId, List<UUID> members) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.ensemble_members (ensemble_version_id, "
        + "position, member_version_id) VALUES (?, ?, ?)")) {
      for (int i = 0; i < members.size(); i++) {
        ps.setObject(1, ensembleId);
        ps.setInt(2, i);
        ps.setObject(3, members.get(i));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The member ids of each of these ensembles, in member order. */
  public Map<UUID, List<UUID>> membersOf(Connection c, Collection<UUID> ensembleIds) throws SQLException {
    Map<UUID, List<UUID>> out = new LinkedHashMap<>();
    if (ensembleIds.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT ensemble_version_id, member_version_id FROM "
        + "registry.ensemble_members WHERE ensemble_version_id = ANY (?) ORDER BY ensemble_version_id, position")) {
      ps.setArray(1, c.createArrayOf("uuid", ensembleIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getObject(1, UUID.class), k -> new ArrayList<>()).add(rs.getObject(2, UUID.class));
        }
      }
    }
    return out;
  }
}
