package io.promptune.registry.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromptRegistryGrpc.PromptRegistryBlockingStub;
import io.promptune.api.v1.RollbackRequest;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** Publications, promotions and rollbacks are counted once each, refused ones under their reason. */
@QuarkusTest
class RegistryMetricsTest extends RegistryTestSupport {

  @Inject
  MeterRegistry registry;

  double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private double other() {
    return registry.find("promptune.registry.promotions").tag("environment", "other").counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  private PromoteRequest promote(String prompt, String env, int number) {
    return PromoteRequest.newBuilder().setPromptName(prompt).setEnvironment(env).setVersionNumber(number)
        .setReason("metrics").build();
  }

  @Test
  void countsExactlyWhatHappened() throws Exception {
    double published0 = count("promptune.registry.versions.published", "outcome", "ok");
    double devOk0 = count("promptune.registry.promotions", "environment", "dev", "outcome", "ok");
    double prodRefused0 = count("promptune.registry.promotions", "environment", "prod", "outcome",
        "environment_order");
    double prodForced0 = count("promptune.registry.promotions", "environment", "prod", "outcome", "forced");
    double otherRefused0 = other();
    double rollbackOk0 = count("promptune.registry.rollbacks", "environment", "dev", "outcome", "ok");
    double rollbackRefused0 = count("promptune.registry.rollbacks", "environment", "staging", "outcome",
        "nothing_to_roll_back");

    String p = uniqueName("metrics");
    publish(p, 2, 4);
    publish(p, 2, 4);
    PromptRegistryBlockingStub operator = as("olga", Role.OPERATOR);
    operator.promote(promote(p, "dev", 1));
    operator.promote(promote(p, "dev", 2));
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENVIRONMENT_ORDER, () -> operator.promote(promote(p, "prod", 1)));
    as("ada", Role.ADMIN).promote(promote(p, "prod", 1).toBuilder().setForce(true).build());
    try {
      operator.promote(promote(p, "no-such-env-" + p, 1));
    } catch (RuntimeException expected) {
      // refused; counted under environment "other"
    }
    operator.rollback(RollbackRequest.newBuilder().setPromptName(p).setEnvironment("dev").setReason("bad").build());
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.NOTHING_TO_ROLL_BACK, () -> operator.rollback(
        RollbackRequest.newBuilder().setPromptName(p).setEnvironment("staging").setReason("bad").build()));

    assertEquals(2, count("promptune.registry.versions.published", "outcome", "ok") - published0);
    assertEquals(2, count("promptune.registry.promotions", "environment", "dev", "outcome", "ok") - devOk0);
    assertEquals(1, count("promptune.registry.promotions", "environment", "prod", "outcome", "environment_order")
        - prodRefused0);
    assertEquals(1, count("promptune.registry.promotions", "environment", "prod", "outcome", "forced")
        - prodForced0);
    assertEquals(1, other() - otherRefused0);
    assertEquals(1, count("promptune.registry.rollbacks", "environment", "dev", "outcome", "ok") - rollbackOk0);
    assertEquals(1, count("promptune.registry.rollbacks", "environment", "staging", "outcome",
        "nothing_to_roll_back") - rollbackRefused0);

    int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/q/metrics"))
        .header("Authorization", "Bearer test-viewer-key").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("promptune_registry_promotions_total{environment=\"prod\",outcome=\"forced\"}"),
        "prometheus names");
    assertTrue(r.body().contains("promptune_registry_versions_published_total{outcome=\"ok\"}"));
  }
}
