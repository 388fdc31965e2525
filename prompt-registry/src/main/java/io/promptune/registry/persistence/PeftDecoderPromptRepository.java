package io.promptune.registry.persistence;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

/**
 * registry.peft_decoder_prompts: the unused decoder rows of an imported two-submodule PEFT adapter, written with
 * their version, never changed.
 */
@ApplicationScoped
public class PeftDecoderPromptRepository {

  /** The decoder rows kept with a version, and the num_transformer_submodules the adapter stated. */
  public record DecoderPrompt(int numTransformerSubmodules, byte[] tensor) {}

  public void insert(Connection c, UUID versionId, DecoderPrompt prompt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO registry.peft_decoder_prompts "
        + "(version_id, num_transformer_submodules, tensor) VALUES (?, ?, ?)")) {
      ps.setObject(1, versionId);
      ps.setInt(2, prompt.numTransformerSubmodules());
      ps.setBytes(3, prompt.tensor());
      ps.executeUpdate();
    }
  }

  public Optional<DecoderPrompt> find(Connection c, UUID versionId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT num_transformer_submodules, tensor "
        + "FROM registry.peft_decoder_prompts WHERE version_id = ?")) {
      ps.setObject(1, versionId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new DecoderPrompt(rs.getInt(1), rs.getBytes(2))) : Optional.empty();
      }
    }
  }
}
