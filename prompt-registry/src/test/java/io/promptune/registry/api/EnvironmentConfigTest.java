package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status.Code;
import io.promptune.api.v1.Alias;
import io.promptune.api.v1.Environment;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ListAliasesRequest;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListEnvironmentsRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.registry.RegistryTestSupport;
import io.promptune.registry.persistence.Database;
import io.promptune.registry.persistence.EnvironmentRepository;
import io.promptune.registry.persistence.EnvironmentSync;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The environment list is configuration: re-syncing changes the order; dropped environments keep history. */
@QuarkusTest
class EnvironmentConfigTest extends RegistryTestSupport {

  @Inject
  Database db;

  @Inject
  EnvironmentRepository environments;

  private void sync(List<String> names) {
    db.inTransaction(c -> {
      environments.sync(c, names);
      return null;
    });
  }

  @AfterEach
  void restoreDefault() {
    sync(List.of("dev", "staging", "prod"));
  }

  private List<String> configured() {
    return system().listEnvironments(ListEnvironmentsRequest.getDefaultInstance()).getEnvironmentsList().stream()
        .map(Environment::getName).toList();
  }

  private void promote(String prompt, String env) {
    system().promote(PromoteRequest.newBuilder().setPromptName(prompt).setEnvironment(env).setVersionNumber(1)
        .build());
  }

  @Test
  void aNewOrderAppliesToPromotions() {
    sync(List.of("dev", "qa", "staging", "prod"));
    assertEquals(List.of("dev", "qa", "staging", "prod"), configured());
    String p = uniqueName("envs");
    publish(p, 1, 4);
    promote(p, "dev");
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENVIRONMENT_ORDER, () -> promote(p, "staging"));
    promote(p, "qa");
    promote(p, "staging");

    sync(List.of("dev", "prod"));
    assertEquals(List.of("dev", "prod"), configured());
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> promote(p, "qa")), "dev, prod");
    // prod now follows dev directly.
    promote(p, "prod");
    assertEquals(List.of("dev", "prod"), system().listAliases(ListAliasesRequest.newBuilder().setPromptName(p)
        .build()).getAliasesList().stream().map(Alias::getEnvironment).toList());
    // The history of a dropped environment can still be read.
    assertEquals(1, system().listAuditEvents(ListAuditEventsRequest.newBuilder().setPromptName(p)
        .setEnvironment("qa").build()).getEventsCount());
  }

  @Test
  void badConfigurationsAreRefusedAtStart() {
    for (List<String> bad : List.of(List.<String>of(), List.of(" "), List.of("dev", "dev"), List.of("dev", "a b"))) {
      assertThrows(IllegalStateException.class, () -> EnvironmentSync.validated(bad), bad.toString());
    }
    assertEquals(List.of("dev", "prod"), EnvironmentSync.validated(List.of(" dev", "prod ")));
  }
}
