package io.promptune.gateway.system;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import io.promptune.gateway.testing.FakeBackends;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * GET /v1/system under test reads the gateway's own /q/metrics as both "runtime" and "trainer" (application.properties,
 * %test): the scrape must pass the metrics filter with the gateway's service key; a trainer gauge it lacks is null.
 */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class SystemResourceTest {

  @Test
  void viewerSeesLiveNumbersRatesAfterASecond() throws Exception {
    given().get("/v1/system").then().statusCode(401);
    given().header("Authorization", "Bearer test-viewer-key").get("/v1/system").then().statusCode(200)
        .body("sources.size()", equalTo(2)).body("sources[0].ok", equalTo(true))
        .body("sources[1].ok", equalTo(true)).body("queue_depth", nullValue()).body("sampled_at", notNullValue());
    Thread.sleep(1_100);
    given().header("Authorization", "Bearer test-viewer-key").get("/v1/system").then().statusCode(200)
        .body("tokens_per_second", equalTo(0.0f)).body("window_seconds", greaterThanOrEqualTo(1.0f));
  }
}
