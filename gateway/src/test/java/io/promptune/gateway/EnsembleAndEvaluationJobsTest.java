package io.promptune.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.Split;
import io.promptune.gateway.testing.FakeBackends;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 over REST: ensemble training specs, evaluation jobs, job kinds, member metrics in job events and member
 * answers in inference. The fakes' fixed numbers are in FakeTrainer's and FakeRuntime's comments.
 */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class EnsembleAndEvaluationJobsTest {

  static RequestSpecification as(String role) {
    return given().header("Authorization", "Bearer test-" + role + "-key");
  }

  @Test
  void ensembleSpecFieldsReachTheTrainerAndComeBack() {
    String spec = "{\"dataset\":\"d\",\"max_steps\":20,\"ensemble_size\":3,\"ensemble_rule\":\"mean_log_prob\","
        + "\"member_inits\":[{\"method\":\"class_labels\"},{\"method\":\"text\",\"text\":\"classify\"}]}";
    as("trainer").contentType("application/json").body(spec).post("/v1/jobs").then().statusCode(201)
        .body("kind", equalTo("training")).body("spec.ensemble_size", equalTo(3))
        .body("spec.ensemble_rule", equalTo("mean_log_prob")).body("spec.member_inits", hasSize(2))
        .body("spec.member_inits[1].text", equalTo("classify"));
    var s = FakeBackends.TRAINER.lastSubmit.get().getSpec();
    assertEquals(3, s.getEnsembleSize());
    assertEquals(CombinationRule.MEAN_LOG_PROB, s.getEnsembleRule());
    assertEquals(2, s.getMemberInitsCount());
    assertTrue(s.getMemberInits(0).hasClassLabels());
    assertEquals("classify", s.getMemberInits(1).getText().getText());
  }

  @Test
  void aSinglePromptSpecShowsNoEnsembleFields() {
    String body = as("trainer").contentType("application/json").body("{\"dataset\":\"d\",\"max_steps\":5}")
        .post("/v1/jobs").then().statusCode(201).extract().asString();
    assertFalse(body.contains("ensemble"), body);
    assertFalse(body.contains("member"), body);
    assertEquals(0, FakeBackends.TRAINER.lastSubmit.get().getSpec().getEnsembleSize());
  }

  @Test
  void badEnsembleSpecsAreRefusedNamingTheField() {
    as("trainer").contentType("application/json").body("{\"dataset\":\"d\",\"max_steps\":5,\"ensemble_size\":33}")
        .post("/v1/jobs").then().statusCode(400).body("error.details.field", equalTo("ensemble_size"));
    as("trainer").contentType("application/json").body("{\"dataset\":\"d\",\"max_steps\":5,\"ensemble_size\":-1}")
        .post("/v1/jobs").then().statusCode(400).body("error.details.field", equalTo("ensemble_size"));
    as("trainer").contentType("application/json").body("{\"dataset\":\"d\",\"max_steps\":5,\"ensemble_size\":2,"
        + "\"ensemble_rule\":\"median\"}").post("/v1/jobs").then().statusCode(400)
        .body("error.details.field", equalTo("ensemble_rule"));
    as("trainer").contentType("application/json").body("{\"dataset\":\"d\",\"max_steps\":5,\"ensemble_size\":2,"
        + "\"member_inits\":[{},{},{}]}").post("/v1/jobs").then().statusCode(400)
        .body("error.details.field", equalTo("member_inits"));
    as("trainer").contentType("application/json").body("{\"dataset\":\"d\",\"max_steps\":5,\"ensemble_size\":2,"
        + "\"member_inits\":[{\"method\":\"text\"}]}").post("/v1/jobs").then().statusCode(400)
        .body("error.details.field", equalTo("member_inits[0].text"));
    as("trainer").contentType("application/json").body("{\"dataset\":\"d\",\"max_steps\":5,"
        + "\"member_inits\":[{\"method\":\"class_labels\"}]}").post("/v1/jobs").then().statusCode(400)
        .body("error.details.field", equalTo("member_inits"));
  }

  @Test
  void anEnsembleJobListsItsMembersAndItsEventsCarryMemberMetrics() {
    as("viewer").get("/v1/jobs/job-ens").then().statusCode(200).body("kind", equalTo("training"))
        .body("published_version_id", equalTo("v-ens"))
        .body("published_member_version_ids", equalTo(List.of("m-0", "m-1", "m-2")));
    as("viewer").get("/v1/jobs/job-ens/events").then().statusCode(200)
        .body("items[0].type", equalTo("eval")).body("items[0].value", equalTo(0.9f))
        .body("items[0].member_values", equalTo(List.of(0.5f, 0.75f, 1.0f)))
        .body("items[0].member_mean", equalTo(0.75f))
        .body("items[1].type", equalTo("published"))
        .body("items[1].member_version_ids", equalTo(List.of("m-0", "m-1", "m-2")))
        .body("items[2].type", equalTo("evaluation_progress")).body("items[2].examples_done", equalTo(32))
        .body("items[2].examples_total", equalTo(40)).body("items[2].correct", equalTo(30));
    // A single-prompt job's eval events have no member fields.
    as("viewer").get("/v1/jobs/job-1/events").then().statusCode(200).body("items[4].type", equalTo("eval"))
        .body("items[4].member_values", nullValue()).body("items[4].member_mean", nullValue());
    String sse = as("viewer").get("/v1/jobs/job-ens/stream").then().statusCode(200).extract().asString();
    assertTrue(sse.contains("\"member_values\":[0.5,0.75,1.0]"), sse);
    assertTrue(sse.contains("event: evaluation_progress") || sse.contains("event:evaluation_progress"), sse);
  }

  @Test
  void anEvaluationJobIsSubmittedWithItsSpecAndTheCaller() {
    as("trainer").contentType("application/json")
        .body("{\"version\":\"sentiment@prod\",\"dataset\":\"movies\",\"mode\":\"exact_match\","
            + "\"max_examples\":100}")
        .post("/v1/evaluation-jobs").then().statusCode(201).body("id", equalTo("job-eval"))
        .body("kind", equalTo("evaluation")).body("evaluation.version", equalTo("sentiment@prod"))
        .body("evaluation.split", equalTo("validation")).body("evaluation.max_examples", equalTo(100))
        .body("spec", nullValue());
    var spec = FakeBackends.TRAINER.lastEvaluation.get().getSpec();
    assertEquals("sentiment@prod", spec.getVersion().getRef());
    assertEquals("movies", spec.getDataset());
    assertEquals(Split.VALIDATION, spec.getSplit());
    assertEquals(EvalMode.EXACT_MATCH, spec.getMode());
    assertEquals(100, spec.getMaxExamples());
    assertEquals(new CallerIdentity("test-trainer", CallerIdentity.Role.TRAINER), FakeBackends.LAST_CALLER.get());

    as("trainer").contentType("application/json").body("{\"version\":\"s:1\",\"dataset\":\"d\",\"split\":\"train\","
        + "\"task_format\":{\"name\":\"sst2\"}}").post("/v1/evaluation-jobs").then().statusCode(201);
    var again = FakeBackends.TRAINER.lastEvaluation.get().getSpec();
    assertEquals(Split.TRAIN, again.getSplit());
    assertEquals("sst2", again.getTaskFormat().getName());
  }

  @Test
  void evaluationJobsAreValidatedAndNeedTheTrainerRole() {
    as("trainer").contentType("application/json").body("{\"dataset\":\"d\"}").post("/v1/evaluation-jobs").then()
        .statusCode(400).body("error.details.field", equalTo("version"));
    as("trainer").contentType("application/json").body("{\"version\":\"s:1\"}").post("/v1/evaluation-jobs").then()
        .statusCode(400).body("error.details.field", equalTo("dataset"));
    as("trainer").contentType("application/json").body("{\"version\":\"s:1\",\"dataset\":\"d\",\"split\":\"dev\"}")
        .post("/v1/evaluation-jobs").then().statusCode(400).body("error.details.field", equalTo("split"));
    as("trainer").contentType("application/json").body("{\"version\":\"s:1\",\"dataset\":\"d\","
        + "\"max_examples\":-2}").post("/v1/evaluation-jobs").then().statusCode(400)
        .body("error.details.field", equalTo("max_examples"));
    as("trainer").contentType("application/json").body("{\"version\":\"nope:1\",\"dataset\":\"d\"}")
        .post("/v1/evaluation-jobs").then().statusCode(404).body("error.code", equalTo("NOT_FOUND"));
    as("viewer").contentType("application/json").body("{\"version\":\"s:1\",\"dataset\":\"d\"}")
        .post("/v1/evaluation-jobs").then().statusCode(403);
    given().contentType("application/json").body("{\"version\":\"s:1\",\"dataset\":\"d\"}")
        .post("/v1/evaluation-jobs").then().statusCode(401);
  }

  @Test
  void aFinishedEvaluationJobShowsItsOutcome() {
    as("viewer").get("/v1/jobs/job-eval").then().statusCode(200).body("kind", equalTo("evaluation"))
        .body("evaluation.dataset", equalTo("movies")).body("evaluation.mode", equalTo("rank_classification"))
        .body("evaluation_outcome.value", equalTo(0.8f)).body("evaluation_outcome.metric", equalTo("accuracy"))
        .body("evaluation_outcome.examples", equalTo(40)).body("evaluation_outcome.evaluation_id", equalTo(12))
        .body("evaluation_outcome.member_values", nullValue());
  }

  @Test
  void jobsCanBeFilteredByKind() {
    as("viewer").get("/v1/jobs?kind=evaluation").then().statusCode(200);
    assertEquals(List.of(JobKind.JOB_KIND_EVALUATION), FakeBackends.TRAINER.lastList.get().getKindsList());
    as("viewer").get("/v1/jobs?kind=training,evaluation&state=running").then().statusCode(200);
    assertEquals(List.of(JobKind.JOB_KIND_TRAINING, JobKind.JOB_KIND_EVALUATION),
        FakeBackends.TRAINER.lastList.get().getKindsList());
    as("viewer").get("/v1/jobs").then().statusCode(200);
    assertEquals(List.of(), FakeBackends.TRAINER.lastList.get().getKindsList());
    as("viewer").get("/v1/jobs?kind=tuning").then().statusCode(400).body("error.details.field", equalTo("kind"))
        .body("error.message", containsString("training, evaluation"));
  }

  @Test
  void anEnsemblePromptScoresWithEachMembersAnswer() {
    as("viewer").contentType("application/json")
        .body("{\"prompt\":\"ens:1\",\"candidates\":[\"negative\",\"positive\"],\"inputs\":[\"fine\"]}")
        .post("/v1/score").then().statusCode(200)
        .body("results[0].best", equalTo("positive")).body("results[0].best_index", equalTo(1))
        .body("results[0].rule", equalTo("majority_vote")).body("results[0].votes", equalTo(List.of(1, 2)))
        .body("results[0].members", hasSize(3))
        .body("results[0].members[0].best", equalTo("positive"))
        .body("results[0].members[1].best", equalTo("negative"))
        .body("results[0].members[1].best_index", equalTo(0))
        .body("results[0].members[1].candidates[0].text", equalTo("negative"))
        .body("results[0].members[1].candidates[0].sum_log_prob", equalTo(-1.0f))
        .body("results[0].members[2].candidates[1].sum_log_prob", equalTo(-1.0f))
        .body("results[0].candidates[1].sum_log_prob", equalTo(-2.0f));
    // A single prompt's result has no member fields.
    String single = as("viewer").contentType("application/json")
        .body("{\"prompt\":\"sentiment@staging\",\"candidates\":[\"negative\",\"positive\"],\"inputs\":[\"fine\"]}")
        .post("/v1/score").then().statusCode(200).extract().asString();
    assertFalse(single.contains("members") || single.contains("votes") || single.contains("rule"), single);
  }

  @Test
  void anEnsemblePromptGeneratesTheMajorityWithEachMembersText() {
    as("viewer").contentType("application/json")
        .body("{\"prompt\":\"ens:1\",\"inputs\":[\"fine\",{\"text\":\"bad\",\"prompt\":\"sentiment:1\"}]}")
        .post("/v1/generate").then().statusCode(200)
        .body("generations[0].text", equalTo("POS")).body("generations[0].votes", equalTo(2))
        .body("generations[0].rule", equalTo("majority_vote"))
        .body("generations[0].members.text", equalTo(List.of("POS", "NEG", "POS")))
        .body("generations[0].members[1].token_ids", equalTo(List.of(6)))
        .body("generations[0].members[0].prompt", nullValue())
        .body("generations[1].text", equalTo("BAD")).body("generations[1].members", nullValue())
        .body("generations[1].votes", nullValue());
  }

  @Test
  void theConsoleLoadsItsQualityViews() {
    given().get("/console/").then().statusCode(200).body(containsString("<script src=\"quality.js\"></script>"));
    given().get("/console/quality.js").then().statusCode(200).body(containsString("function versionView"))
        .body(containsString("GATE_FAILED")).body(containsString("/v1/evaluation-jobs"));
  }
}
