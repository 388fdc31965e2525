package io.promptune.registry.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromptVersion;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The invariants hold against raw SQL too: the database, not only the Java code, enforces them. */
@QuarkusTest
class DatabaseInvariantsTest extends RegistryTestSupport {

  @Inject
  DataSource dataSource;

  private String prompt;
  private PromptVersion v1;
  private PromptVersion v2;

  @BeforeEach
  void seed() {
    prompt = uniqueName("invariants");
    v1 = publish(prompt, 2, 4);
    v2 = system().publishVersion(publishRequest(prompt, tensor(2, 4, 7)).addParents(LineageEdge.newBuilder()
        .setParentVersionId(v1.getId()).setRelation(LineageRelation.INITIALIZED_FROM)).build());
    system().promote(PromoteRequest.newBuilder().setPromptName(prompt).setEnvironment("dev")
        .setVersionId(v2.getId()).build());
  }

  @Test
  void versionsCannotBeUpdatedOrDeleted() throws SQLException {
    assertRejected("UPDATE registry.versions SET metrics = '{\"hacked\": 1}' WHERE id = ?::uuid", v1.getId(),
        "append-only", "immutable");
    assertRejected("UPDATE registry.versions SET tensor = tensor WHERE id = ?::uuid", v1.getId(), "immutable");
    assertRejected("DELETE FROM registry.versions WHERE id = ?::uuid", v1.getId(), "immutable");
    assertEquals(1, count("SELECT count(*) FROM registry.versions WHERE id = ?::uuid", v1.getId()));
  }

  @Test
  void auditLogCannotBeUpdatedDeletedOrTruncated() throws SQLException {
    assertRejected("UPDATE registry.audit_events SET actor = 'mallory' WHERE prompt_name = ?", prompt,
        "append-only");
    assertRejected("DELETE FROM registry.audit_events WHERE prompt_name = ?", prompt, "append-only");
    assertRejected("TRUNCATE registry.audit_events", null, "append-only");
    assertTrue(count("SELECT count(*) FROM registry.audit_events WHERE prompt_name = ?", prompt) >= 4);
  }

  @Test
  void peftDecoderRowsAreImmutableAndOnlyForTwoSubmodules() throws SQLException {
    execute("INSERT INTO registry.peft_decoder_prompts (version_id, num_transformer_submodules, tensor) "
        + "VALUES (?::uuid, 2, '\\x0000803f'::bytea)", v1.getId());
    assertRejected("UPDATE registry.peft_decoder_prompts SET tensor = '\\x00000000'::bytea WHERE version_id = "
        + "?::uuid", v1.getId(), "immutable version");
    assertRejected("DELETE FROM registry.peft_decoder_prompts WHERE version_id = ?::uuid", v1.getId(),
        "immutable version");
    assertRejected("TRUNCATE registry.peft_decoder_prompts", null, "immutable version");
    assertRejected("INSERT INTO registry.peft_decoder_prompts (version_id, num_transformer_submodules, tensor) "
        + "VALUES (?::uuid, 3, '\\x0000803f'::bytea)", v2.getId(), "num_transformer_submodules");
    assertEquals(1, count("SELECT count(*) FROM registry.peft_decoder_prompts WHERE version_id = ?::uuid",
        v1.getId()));
  }

  @Test
  void lineageCannotBeRewritten() throws SQLException {
    assertRejected("UPDATE registry.lineage_edges SET relation = 'TRANSFERRED_FROM' WHERE child_version_id = "
        + "?::uuid", v2.getId(), "immutable version");
    assertRejected("DELETE FROM registry.lineage_edges WHERE child_version_id = ?::uuid", v2.getId(),
        "immutable version");
  }

  @Test
  void versionNumbersCannotSkip() throws SQLException {
    // Number 5 when the prompt has 1 and 2: refused even when written by hand.
    String sql = "INSERT INTO registry.versions (id, prompt_id, number, length, d_model, tensor, sha256, "
        + "base_model_id, base_model_fingerprint, init_method, created_by) SELECT ?::uuid, p.id, ?, 1, 1, "
        + "'\\x00000000'::bytea, encode(sha256('\\x00000000'::bytea), 'hex'), 'm', 'f', 'RANDOM_UNIFORM', 'sql' "
        + "FROM registry.prompts p WHERE p.name = ?";
    SQLException e = assertThrows(SQLException.class, () -> execute(sql, UUID.randomUUID().toString(), 5, prompt));
    assertTrue(e.getMessage().contains("gap-free"), e.getMessage());
    // Number 2 again: a duplicate.
    assertThrows(SQLException.class, () -> execute(sql, UUID.randomUUID().toString(), 2, prompt));
  }

  @Test
  void bytesMustMatchShapeAndHash() {
    String insert = "INSERT INTO registry.versions (id, prompt_id, number, length, d_model, tensor, sha256, "
        + "base_model_id, base_model_fingerprint, init_method, created_by) SELECT ?::uuid, p.id, 3, 1, ?, "
        + "'\\x00000000'::bytea, %s, 'm', 'f', 'RANDOM_UNIFORM', 'sql' FROM registry.prompts p WHERE p.name = ?";
    // 4 bytes cannot be [1, 2] float32 (8 bytes), even with the right hash.
    SQLException size = assertThrows(SQLException.class, () -> execute(insert.formatted(
        "encode(sha256('\\x00000000'::bytea), 'hex')"), UUID.randomUUID().toString(), 2, prompt));
    assertTrue(size.getMessage().contains("versions_tensor_size"), size.getMessage());
    // The right size with a wrong hash.
    SQLException hash = assertThrows(SQLException.class, () -> execute(insert.formatted("'" + "0".repeat(64) + "'"),
        UUID.randomUUID().toString(), 1, prompt));
    assertTrue(hash.getMessage().contains("versions_tensor_sha256"), hash.getMessage());
  }

  @Test
  void aliasesOnlyPointAtVersionsOfTheirPrompt() {
    PromptVersion foreign = publish(uniqueName("foreign"), 1, 4);
    SQLException e = assertThrows(SQLException.class, () -> execute("UPDATE registry.aliases SET version_id = "
        + "?::uuid WHERE environment = 'dev' AND prompt_id = (SELECT id FROM registry.prompts WHERE name = ?)",
        foreign.getId(), prompt));
    assertTrue(e.getMessage().contains("aliases_version_of_prompt"), e.getMessage());
  }

  private void assertRejected(String sql, Object arg, String... fragments) {
    SQLException e = assertThrows(SQLException.class, () -> execute(sql, arg));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), e.getMessage());
    }
  }

  private void execute(String sql, Object... args) throws SQLException {
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        if (args[i] != null) {
          ps.setObject(i + 1, args[i]);
        }
      }
      ps.execute();
    }
  }

  private long count(String sql, String arg) throws SQLException {
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
