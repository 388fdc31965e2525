package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.ListEvaluationsRequest;
import io.promptune.api.v1.ListEvaluationsResponse;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@QuarkusTest
class EvaluationApiTest extends RegistryTestSupport {

  @Inject
  DataSource dataSource;

  static RecordEvaluationRequest.Builder eval(String ref, String dataset, double value) {
    return RecordEvaluationRequest.newBuilder().setVersion(ref(ref)).setDatasetId(dataset).setSplit("validation")
        .setMetric("accuracy").setValue(value).setExamples(872);
  }

  @Test
  void recordsAreKeptAgainstTheVersionAndListedOldestFirst() {
    String p = uniqueName("eval");
    PromptVersion v1 = publish(p, 2, 4);
    publish(p, 2, 4);
    Evaluation first = as("tina", Role.TRAINER).recordEvaluation(eval(p + ":1", "ds-sst2", 0.9).setSplit("VALIDATION")
        .setMetric("Accuracy").setJobId("job-1").build());
    assertEquals(v1.getId(), first.getVersionId());
    assertEquals(p, first.getPromptName());
    assertEquals(1, first.getVersionNumber());
    assertEquals("validation", first.getSplit());
    assertEquals("accuracy", first.getMetric());
    assertEquals(0.9, first.getValue());
    assertEquals(872, first.getExamples());
    assertEquals("job-1", first.getJobId());
    assertEquals("tina", first.getCreatedBy());
    assertTrue(first.hasCreateTime());
    // Transfer evaluation: the same version on another dataset.
    system().recordEvaluation(eval(p + ":1", "ds-imdb", 0.8).build());
    system().recordEvaluation(eval(p + ":2", "ds-sst2", 0.7).build());

    List<Evaluation> all = new ArrayList<>();
    String token = "";
    do {
      ListEvaluationsResponse page = as("val", Role.VIEWER).listEvaluations(ListEvaluationsRequest.newBuilder()
          .setVersion(id(v1.getId())).setPage(PageRequest.newBuilder().setPageSize(1).setPageToken(token)).build());
      all.addAll(page.getEvaluationsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertEquals(List.of("ds-sst2", "ds-imdb"), all.stream().map(Evaluation::getDatasetId).toList());
    assertEquals(first, all.get(0));
    assertEquals(List.of(0.8), system().listEvaluations(ListEvaluationsRequest.newBuilder().setVersion(ref(p + ":1"))
        .setDatasetId("ds-imdb").build()).getEvaluationsList().stream().map(Evaluation::getValue).toList());
  }

  @Test
  void aJobRecordsEachResultOnce() {
    String p = uniqueName("eval-job");
    publish(p, 2, 4);
    Evaluation first = system().recordEvaluation(eval(p + ":1", "ds", 0.5).setJobId("job-9").build());
    // A retry of the same call answers the stored record.
    assertEquals(first, system().recordEvaluation(eval(p + ":1", "ds", 0.5).setJobId("job-9").build()));
    assertContains(assertFails(Code.ALREADY_EXISTS, ErrorReason.ALREADY_EXISTS, () -> system().recordEvaluation(
        eval(p + ":1", "ds", 0.6).setJobId("job-9").build())), "append-only");
    // Without a job id every call appends.
    system().recordEvaluation(eval(p + ":1", "ds", 0.5).build());
    system().recordEvaluation(eval(p + ":1", "ds", 0.5).build());
    assertEquals(3, system().listEvaluations(ListEvaluationsRequest.newBuilder().setVersion(ref(p + ":1")).build())
        .getEvaluationsCount());
  }

  @Test
  void badRecordsAndCallersAreRefused() {
    String p = uniqueName("eval-bad");
    publish(p, 2, 4);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> as("val", Role.VIEWER).recordEvaluation(eval(p + ":1", "ds", 0.5).build()));
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().recordEvaluation(eval(p + ":1", "ds", Double.NaN).build())), "finite");
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().recordEvaluation(eval(p + ":1", "", 0.5).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().recordEvaluation(eval(p + ":1", "ds", 0.5).setMetric("acc uracy").build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().recordEvaluation(eval(p + ":1", "ds", 0.5).setExamples(-1).build()));
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND,
        () -> system().recordEvaluation(eval(p + ":2", "ds", 0.5).build()));
  }

  @Test
  void theDatabaseRefusesToChangeOrDeleteEvaluations() throws SQLException {
    String p = uniqueName("eval-db");
    publish(p, 2, 4);
    Evaluation e = system().recordEvaluation(eval(p + ":1", "ds", 0.5).build());
    for (String sql : List.of("UPDATE registry.evaluations SET value = 0.99 WHERE id = " + e.getId(),
        "DELETE FROM registry.evaluations WHERE id = " + e.getId(), "TRUNCATE registry.evaluations CASCADE")) {
      SQLException refused = assertThrows(SQLException.class, () -> execute(sql), sql);
      assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
    }
    assertEquals(0.5, system().listEvaluations(ListEvaluationsRequest.newBuilder().setVersion(ref(p + ":1")).build())
        .getEvaluations(0).getValue());
  }

  private void execute(String sql) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
