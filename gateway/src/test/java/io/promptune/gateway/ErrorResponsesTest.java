package io.promptune.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import io.promptune.gateway.testing.FakeBackends;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every failure answers {"error":{"code","message","details"}} with the right status. */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class ErrorResponsesTest {

  static RequestSpecification as(String role) {
    return given().header("Authorization", "Bearer test-" + role + "-key");
  }

  @Test
  void malformedJsonIs400WithWhere() {
    as("trainer").contentType("application/json").body("{\"dataset\": \"d\", ".getBytes(StandardCharsets.UTF_8))
        .post("/v1/jobs").then().statusCode(400).contentType("application/json")
        .body("error.code", equalTo("MALFORMED_JSON")).body("error.message", containsString("line 1"));
  }

  @Test
  void unknownFieldIs400NamingIt() {
    as("trainer").contentType("application/json").body("{\"dataset\": \"d\", \"max_step\": 3}")
        .post("/v1/jobs").then().statusCode(400).body("error.code", equalTo("INVALID_ARGUMENT"))
        .body("error.details.field", equalTo("max_step")).body("error.message", containsString("max_steps"));
  }

  @Test
  void wrongTypeIs400NamingTheField() {
    as("trainer").contentType("application/json").body("{\"dataset\": \"d\", \"max_steps\": \"many\"}")
        .post("/v1/jobs").then().statusCode(400).body("error.code", equalTo("INVALID_ARGUMENT"))
        .body("error.details.field", equalTo("max_steps"));
  }

  @Test
  void missingRequiredFieldIs400() {
    as("trainer").contentType("application/json").body("{\"dataset\": \"d\"}").post("/v1/jobs").then()
        .statusCode(400).body("error.details.field", equalTo("max_steps"));
  }

  @Test
  void unknownEnumValueListsTheAcceptedOnes() {
    as("trainer").contentType("application/json").body("{\"dataset\": \"d\", \"max_steps\": 3, \"eval_mode\": "
        + "\"vibes\"}").post("/v1/jobs").then().statusCode(400)
        .body("error.message", containsString("rank_classification"));
  }

  @Test
  void unknownRouteIs404Json() {
    as("viewer").get("/v1/nothing-here").then().statusCode(404).contentType("application/json")
        .body("error.code", equalTo("NOT_FOUND")).body("error.message", notNullValue());
    given().get("/definitely/not/here").then().statusCode(404).contentType("application/json")
        .body("error.code", equalTo("NOT_FOUND")).body("error.message", containsString("/definitely/not/here"));
  }

  @Test
  void wrongMethodIs405Json() {
    as("admin").delete("/v1/prompts").then().statusCode(405).body("error.code", equalTo("METHOD_NOT_ALLOWED"));
  }

  @Test
  void bodyOverTheJsonLimitIs413() {
    byte[] big = new byte[70 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    as("viewer").contentType("application/json").body(big).post("/v1/generate").then().statusCode(413)
        .contentType("application/json").body("error.code", equalTo("REQUEST_TOO_LARGE"))
        .body("error.details.limit_bytes", equalTo(64 * 1024));
  }

  @Test
  void bodyOverTheHttpHardCapIsStill413Json() {
    byte[] big = new byte[2 * 1024 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    as("trainer").contentType("application/x-ndjson").body(big).post("/v1/datasets?name=x&format=jsonl").then()
        .statusCode(413).contentType("application/json").body("error.code", equalTo("REQUEST_TOO_LARGE"));
  }

  @Test
  void chunkedJsonOverTheLimitIs413() {
    byte[] big = new byte[70 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    as("viewer").contentType("application/json").body(new ByteArrayInputStream(big)).post("/v1/generate").then()
        .statusCode(413).body("error.code", equalTo("REQUEST_TOO_LARGE"));
  }

  @Test
  void uploadOverTheLimitIs413EvenWithoutContentLength() {
    byte[] big = "{\"input\":\"a\",\"target\":\"b\"}\n".repeat(12_000).getBytes(StandardCharsets.UTF_8);
    // Declared length: refused before reading.
    as("trainer").contentType("application/x-ndjson").body(big).post("/v1/datasets?name=big&format=jsonl").then()
        .statusCode(413).body("error.code", equalTo("REQUEST_TOO_LARGE"));
    // Chunked (no length): counted while streaming to the trainer.
    as("trainer").contentType("application/x-ndjson").body(new ByteArrayInputStream(big))
        .post("/v1/datasets?name=big&format=jsonl").then().statusCode(413)
        .body("error.code", equalTo("REQUEST_TOO_LARGE"));
  }

  @Test
  void tooManyInferenceInputsIs413() {
    as("viewer").contentType("application/json")
        .body("{\"prompt\":\"sentiment\",\"inputs\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}")
        .post("/v1/generate").then().statusCode(413).body("error.code", equalTo("REQUEST_TOO_LARGE"));
  }

  @Test
  void backendNotFoundIs404WithItsReasonAndDetails() {
    as("viewer").get("/v1/prompts/nope").then().statusCode(404).body("error.code", equalTo("NOT_FOUND"))
        .body("error.message", containsString("nope")).body("error.details.prompt", equalTo("nope"))
        .body("error.details.backend", equalTo("registry"));
  }

  @Test
  void alreadyExistsIs409() {
    as("trainer").contentType("application/json").body("{\"name\":\"sentiment\"}").post("/v1/prompts").then()
        .statusCode(409).body("error.code", equalTo("ALREADY_EXISTS"));
  }

  @Test
  void environmentOrderIs409WithTheRegistrysMessage() {
    as("operator").contentType("application/json").body("{\"version\":2}")
        .post("/v1/prompts/sentiment/environments/prod/promote").then().statusCode(409)
        .body("error.code", equalTo("ENVIRONMENT_ORDER")).body("error.message", containsString("staging first"));
  }

  @Test
  void optimisticConflictIs409() {
    as("operator").contentType("application/json").body("{\"version\":2,\"expected_current_version_id\":\"x\"}")
        .post("/v1/prompts/sentiment/environments/staging/promote").then().statusCode(409)
        .body("error.code", equalTo("CONFLICT"));
  }

  @Test
  void cancellingAFinishedJobIs409() {
    as("trainer").contentType("application/json").body("{}").post("/v1/jobs/job-done/cancel").then()
        .statusCode(409).body("error.code", equalTo("JOB_STATE"));
  }

  @Test
  void forcedPromotionNeedsAdmin() {
    as("operator").contentType("application/json").body("{\"version\":2,\"force\":true}")
        .post("/v1/prompts/sentiment/environments/prod/promote").then().statusCode(403)
        .body("error.code", equalTo("PERMISSION_DENIED")).body("error.details.required_role", equalTo("admin"));
  }

  @Test
  void promoteNeedsExactlyOneVersion() {
    as("operator").contentType("application/json").body("{}")
        .post("/v1/prompts/sentiment/environments/staging/promote").then().statusCode(400)
        .body("error.details.field", equalTo("version"));
  }

  @Test
  void unimplementedBackendCallIs501() {
    as("trainer").contentType("application/json").body(AuthMatrixTest.TENSOR)
        .post("/v1/prompts/sentiment/versions").then().statusCode(501).body("error.code", equalTo("NOT_IMPLEMENTED"));
  }

  @Test
  void backendDownIs503() {
    FakeBackends.stopBackend(FakeBackends.Kind.TRAINER);
    try {
      as("viewer").get("/v1/jobs").then().statusCode(503).body("error.code", equalTo("UNAVAILABLE_DEPENDENCY"))
          .body("error.details.backend", equalTo("trainer")).body("error.message", containsString("trainer"));
    } finally {
      FakeBackends.startBackend(FakeBackends.Kind.TRAINER);
    }
    // The gateway reconnects within a probe interval, not after gRPC's long back-off.
    long deadline = System.currentTimeMillis() + 8000;
    int status = 0;
    while (System.currentTimeMillis() < deadline && status != 200) {
      status = as("viewer").get("/v1/jobs").statusCode();
    }
    org.junit.jupiter.api.Assertions.assertEquals(200, status, "trainer not used again after it came back");
  }

  @Test
  void keysAreAcceptedInEitherHeader() {
    given().header("X-API-Key", "test-viewer-key").get("/v1/whoami").then().statusCode(200)
        .body("name", equalTo("test-viewer")).body("role", equalTo("viewer"));
  }
}
