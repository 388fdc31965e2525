package io.promptune.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.EvalMode;
import io.promptune.gateway.testing.FakeBackends;
import io.promptune.gateway.testing.FakeRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** JSON in, the right proto out (and back), with the caller's identity on every backend call. */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class ApiFlowTest {

  static RequestSpecification as(String role) {
    return given().header("Authorization", "Bearer test-" + role + "-key");
  }

  @Test
  void promotionCarriesTheCallerAndTheRequestFields() {
    as("operator").contentType("application/json")
        .body("{\"version\":2,\"reason\":\"good eval\",\"expected_current_version_id\":\"" + FakeRegistry.V1 + "\"}")
        .post("/v1/prompts/sentiment/environments/staging/promote").then().statusCode(200)
        .body("alias.environment", equalTo("staging")).body("alias.version_number", equalTo(2))
        .body("changed", equalTo(true))
        .body("event.reason", equalTo("good eval")).body("event.action", equalTo("promote"));
    var req = FakeBackends.REGISTRY.lastPromote.get();
    assertEquals(2, req.getVersionNumber());
    assertEquals(FakeRegistry.V1, req.getExpectedCurrentVersionId());
    assertEquals(new CallerIdentity("test-operator", CallerIdentity.Role.OPERATOR), FakeBackends.LAST_CALLER.get());
    // The backend may honour that forwarded identity only because the gateway authenticates as a service principal.
    assertEquals("Bearer test-service-key", FakeBackends.LAST_AUTHORIZATION.get());
  }

  @Test
  void promotingToTheVersionAlreadyThereAnswersChangedFalseWithoutAnEvent() {
    String body = as("operator").contentType("application/json").body("{\"version\":2}")
        .post("/v1/prompts/sentiment/environments/dev/promote").then().statusCode(200)
        .body("alias.environment", equalTo("dev")).body("alias.version_number", equalTo(2))
        .body("changed", equalTo(false)).extract().asString();
    assertFalse(body.contains("\"event\""), "a no-op carries no audit event: " + body);
  }

  @Test
  void versionsAndLineageAreSnakeCaseJson() {
    as("viewer").get("/v1/prompts/sentiment/versions").then().statusCode(200).body("items", hasSize(2))
        .body("items[0].number", equalTo(2)).body("items[0].d_model", equalTo(64))
        .body("items[0].metrics.accuracy", equalTo(0.9f))
        .body("items[0].parents[0].relation", equalTo("initialized_from"));
    as("viewer").get("/v1/versions/sentiment:2/lineage?direction=up").then().statusCode(200)
        .body("versions", hasSize(2)).body("edges[0].parent_version_id", equalTo(FakeRegistry.V1));
    as("viewer").get("/v1/versions/sentiment:2/lineage?direction=sideways").then().statusCode(400)
        .body("error.details.field", equalTo("direction"));
  }

  @Test
  void ensemblesAndGatesMapBothWays() {
    as("trainer").contentType("application/json")
        .body("{\"prompt_name\":\"sentiment\",\"members\":[\"sentiment:1\",\"sentiment@prod\"],"
            + "\"rule\":\"mean_log_prob\"}")
        .post("/v1/ensembles").then().statusCode(201).body("kind", equalTo("ensemble"))
        .body("ensemble.rule", equalTo("mean_log_prob")).body("ensemble.members", hasSize(2))
        .body("ensemble.members[1].version_id", equalTo(FakeRegistry.V2))
        .body("ensemble.members[1].length", equalTo(21));
    var ens = FakeBackends.REGISTRY.lastEnsemble.get();
    assertEquals(io.promptune.api.v1.CombinationRule.MEAN_LOG_PROB, ens.getRule());
    assertEquals(List.of("sentiment:1", "sentiment@prod"), ens.getMembersList().stream()
        .map(io.promptune.api.v1.VersionSelector::getRef).toList());
    as("trainer").contentType("application/json").body("{\"prompt_name\":\"sentiment\",\"members\":[\"a:1\"],"
        + "\"rule\":\"median\"}").post("/v1/ensembles").then().statusCode(400)
        .body("error.details.field", equalTo("rule"));

    as("admin").contentType("application/json")
        .body("{\"prompt_name\":\"sentiment\",\"dataset_id\":\"d\",\"split\":\"validation\","
            + "\"metric\":\"accuracy\",\"threshold\":0.85,\"reason\":\"bar\"}")
        .put("/v1/gates/prod/acc").then().statusCode(200).body("gate.name", equalTo("acc"))
        .body("gate.threshold", equalTo(0.85f)).body("event.action", equalTo("set_promotion_gate"))
        .body("event.gate.metric", equalTo("accuracy"));
    var gate = FakeBackends.REGISTRY.lastGate.get();
    assertEquals("prod", gate.getGate().getEnvironment());
    assertEquals(0.85, gate.getGate().getThreshold());
    assertFalse(gate.getGate().hasMaxRegression(), "an absent max_regression stays unset");
    assertEquals("bar", gate.getReason());
  }

  @Test
  void rawUploadStreamsTheBodyWithItsHeader() {
    String data = "{\"input\":\"great film\",\"target\":\"positive\"}\n{\"input\":\"dull\",\"target\":\"negative\"}\n";
    as("trainer").contentType("application/x-ndjson").body(data.getBytes(StandardCharsets.UTF_8))
        .queryParam("description", "two rows").post("/v1/datasets?name=tiny&column_mapping=text:input,label:target").then()
        .statusCode(201).body("name", equalTo("tiny")).body("num_train", equalTo(2)).body("format", equalTo("jsonl"));
    var up = FakeBackends.TRAINER.lastUpload.get();
    assertEquals("tiny", up.header().getName());
    assertEquals("two rows", up.header().getDescription());
    assertEquals(DatasetFormat.JSONL, up.header().getFormat());
    assertEquals("input", up.header().getColumnMappingMap().get("text"));
    assertEquals(data, new String(up.train(), StandardCharsets.UTF_8));
    assertEquals(new CallerIdentity("test-trainer", CallerIdentity.Role.TRAINER), FakeBackends.LAST_CALLER.get());
  }

  @Test
  void multipartUploadSendsBothSplits() {
    as("trainer").multiPart("name", "form-data").multiPart("train", "train.csv", "input,target\na,b\nc,d\n".getBytes(
        StandardCharsets.UTF_8), "text/csv").multiPart("validation", "dev.csv", "input,target\ne,f\n".getBytes(
        StandardCharsets.UTF_8), "text/csv")
        .post("/v1/datasets").then().statusCode(201).body("format", equalTo("csv"))
        .body("num_validation", equalTo(2));
    var up = FakeBackends.TRAINER.lastUpload.get();
    assertEquals(DatasetFormat.CSV, up.header().getFormat());
    assertEquals("input,target\ne,f\n", new String(up.validation(), StandardCharsets.UTF_8));
  }

  @Test
  void uploadWithoutAFormatSaysHowToGiveOne() {
    as("trainer").contentType("application/octet-stream").body("x".getBytes(StandardCharsets.UTF_8))
        .post("/v1/datasets?name=x").then().statusCode(400).body("error.details.field", equalTo("format"));
  }

  @Test
  void jobSpecRoundTrips() {
    String spec = "{\"dataset\":\"d\",\"max_steps\":50,\"prompt_length\":8,\"eval_mode\":\"rank_classification\","
        + "\"task_format\":{\"input_template\":\"review: {input}\",\"labels\":[\"positive\",\"negative\"]},"
        + "\"init\":{\"method\":\"sampled_vocab\",\"top_k\":100},\"optimizer\":{\"type\":\"adafactor\","
        + "\"learning_rate\":0.3},\"schedule\":{\"type\":\"warmup_linear\",\"warmup_steps\":5},\"seed\":7,"
        + "\"output_prompt\":\"sentiment\"}";
    as("trainer").contentType("application/json").body(spec).post("/v1/jobs").then().statusCode(201)
        .body("id", equalTo("job-1")).body("state", equalTo("queued")).body("spec.prompt_length", equalTo(8))
        .body("spec.init.method", equalTo("sampled_vocab")).body("spec.schedule.warmup_steps", equalTo(5))
        .body("spec.task_format.labels", equalTo(List.of("positive", "negative")));
    var s = FakeBackends.TRAINER.lastSubmit.get().getSpec();
    assertEquals(EvalMode.RANK_CLASSIFICATION, s.getEvalMode());
    assertEquals(100, s.getInit().getSampledVocab().getTopK());
    assertEquals(0.3f, s.getOptimizer().getAdafactor().getLearningRate());
    assertEquals(7L, s.getSeed());
  }

  @Test
  void generateDeduplicatesPromptsAndResolvesBareNamesToProd() {
    as("viewer").contentType("application/json")
        .body("{\"prompt\":\"sentiment\",\"inputs\":[\"good\",{\"text\":\"bad\",\"prompt\":\"topic:3\"},\"meh\"],"
            + "\"max_new_tokens\":5}")
        .post("/v1/generate").then().statusCode(200).body("generations", hasSize(3))
        .body("generations[0].text", equalTo("GOOD")).body("generations[0].prompt", equalTo("sentiment@prod"))
        .body("generations[1].prompt", equalTo("topic:3")).body("generations[2].finish_reason", equalTo("eos"));
    var req = FakeBackends.RUNTIME.lastGenerate.get();
    assertEquals(2, req.getPromptsCount());
    assertEquals("sentiment@prod", req.getPrompts(0).getVersion().getRef());
    assertEquals(List.of(0, 1, 0), req.getInputsList().stream().map(i -> i.getPromptIndex()).toList());
    assertEquals(5, req.getMaxNewTokens());
  }

  @Test
  void generateWithoutAnyPromptUsesTheBareModel() {
    as("viewer").contentType("application/json").body("{\"inputs\":[\"x\"]}").post("/v1/generate").then()
        .statusCode(200);
    assertEquals(0, FakeBackends.RUNTIME.lastGenerate.get().getPromptsCount());
    as("viewer").contentType("application/json").body("{\"inputs\":[\"x\",{\"text\":\"y\",\"prompt\":\"p@dev\"}]}")
        .post("/v1/generate").then().statusCode(400).body("error.details.field", equalTo("inputs[1].prompt"));
  }

  @Test
  void scoreNamesTheBestCandidate() {
    as("viewer").contentType("application/json")
        .body("{\"prompt\":\"sentiment@staging\",\"candidates\":[\"negative\",\"positive\"],\"inputs\":[\"fine\"]}")
        .post("/v1/score").then().statusCode(200).body("results[0].best", equalTo("positive"))
        .body("results[0].candidates[1].sum_log_prob", equalTo(-9.0f));
  }

  @Test
  void jobProgressStreamsAsServerSentEvents() {
    String body = as("viewer").accept("text/event-stream").get("/v1/jobs/job-1/stream").then().statusCode(200)
        .contentType(containsString("text/event-stream")).extract().asString();
    assertTrue(body.contains("event: step") || body.contains("event:step"), body);
    assertTrue(body.contains("\"loss\":2.0"), body);
    assertTrue(body.contains("event: eval") || body.contains("event:eval"), body);
    assertTrue(body.contains("id: 5") || body.contains("id:5"), body);
    assertTrue(body.contains("event: end") || body.contains("event:end"), body);
    // Resume after the last event seen.
    String rest = as("viewer").header("Last-Event-ID", "4").get("/v1/jobs/job-1/stream").asString();
    assertTrue(!rest.contains("\"sequence\":4") && rest.contains("\"sequence\":5"), rest);
    as("viewer").get("/v1/jobs/nope/stream").then().statusCode(404).body("error.code", equalTo("NOT_FOUND"));
  }

  @Test
  void idleStreamsSendKeepAliveComments() {
    String body = as("viewer").get("/v1/jobs/job-slow/stream").then().statusCode(200).extract().asString();
    assertTrue(body.contains(":keep-alive") || body.contains(": keep-alive"), body);
    assertTrue(body.contains("event: end") || body.contains("event:end"), body);
  }

  @Test
  void storedEventsAreFlattenedByType() {
    as("viewer").get("/v1/jobs/job-1/events").then().statusCode(200).body("items", hasSize(6))
        .body("items[1].type", equalTo("step")).body("items[1].learning_rate", equalTo(0.3f))
        .body("items[4].type", equalTo("eval")).body("items[4].metric", equalTo("accuracy"))
        .body("items[5].state", equalTo("succeeded"));
  }

  @Test
  void openApiDocumentListsTheApi() {
    String doc = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
    for (String p : List.of("/v1/prompts", "/v1/jobs/{id}/stream", "/v1/datasets", "/v1/generate", "/v1/score",
        "/v1/prompts/{name}/environments/{env}/promote", "/v1/versions/{ref}/lineage", "/v1/audit")) {
      assertTrue(doc.contains("\"" + p + "\""), p + " missing from the OpenAPI document");
    }
    assertTrue(doc.contains("max_steps"), "schemas use the JSON (snake_case) names");
    assertTrue(doc.contains("bearer"), "the API-key scheme is documented");
    assertTrue(doc.contains("already held the version (a no-op"), "the promotion answer documents changed=false");
  }

  @Test
  void consoleIsServedWithoutAKey() {
    given().get("/console/").then().statusCode(200).contentType(containsString("text/html"))
        .body(containsString("Promptune console"));
    given().get("/console/console.js").then().statusCode(200).body(containsString("followEvents"));
    given().redirects().follow(false).get("/").then().statusCode(200).body(containsString("/console/"));
  }
}
