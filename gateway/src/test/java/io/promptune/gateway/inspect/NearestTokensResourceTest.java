package io.promptune.gateway.inspect;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.Tensors;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.gateway.testing.FakeBackends;
import io.promptune.gateway.testing.InspectFixtures;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GET /v1/versions/{ref}/nearest-tokens against a fake runtime whose vocabulary is the unit vectors e0..e15 (see
 * {@link InspectFixtures}): the prompt rows 3*e0, 3*e1 + 4*e2 and e5+e6+e7+e8 have norms 3, 5 and 2 and nearest
 * tokens worked out by hand; the random baseline is checked against those norms and against what the runtime was
 * sent.
 */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class NearestTokensResourceTest {

  static RequestSpecification as(String role) {
    return given().header("Authorization", "Bearer test-" + role + "-key");
  }

  @Test
  void needsAKey() {
    given().get("/v1/versions/inspect:1/nearest-tokens").then().statusCode(401)
        .body("error.code", equalTo("UNAUTHENTICATED"));
    as("viewer").get("/v1/versions/inspect:1/nearest-tokens").then().statusCode(200);
  }

  @Test
  void kOutsideOneToHundredIsA400NamingK() {
    for (String k : List.of("0", "101", "-3", "abc", "2.5")) {
      as("viewer").get("/v1/versions/inspect:1/nearest-tokens?k=" + k).then().statusCode(400)
          .body("error.code", equalTo("INVALID_ARGUMENT")).body("error.details.field", equalTo("k"));
    }
    as("viewer").get("/v1/versions/inspect:1/nearest-tokens?k=100").then().statusCode(200);
    as("viewer").get("/v1/versions/inspect:1/nearest-tokens").then().statusCode(200).body("k", equalTo(5))
        .body("rows[0].tokens", hasSize(5));
  }

  @Test
  void rowsCarryNormsAndNearestTokensWorkedOutByHand() {
    JsonPath j = as("viewer").get("/v1/versions/inspect:1/nearest-tokens?k=2").then().statusCode(200)
        .body("version_id", equalTo(InspectFixtures.VERSION_ID)).body("length", equalTo(3))
        .body("rows", hasSize(3)).extract().jsonPath();
    double[] norms = {3, 5, 2};
    for (int i = 0; i < 3; i++) {
      assertEquals(i, j.getInt("rows[" + i + "].index"));
      assertEquals(norms[i], j.getDouble("rows[" + i + "].norm"), 1e-9);
    }
    // 3*e0: e0 at cosine 1. 3*e1 + 4*e2: e2 at 4/5, e1 at 3/5. e5+..+e8: e5 and e6 at 1/2 (ties to the lower id).
    // 3*e0 also has cosine 0 with every other token: the lowest id, 1, comes second.
    assertEquals(0, j.getInt("rows[0].tokens[0].token_id"));
    assertEquals(1.0, j.getDouble("rows[0].tokens[0].cosine"), 1e-6);
    assertEquals(1, j.getInt("rows[0].tokens[1].token_id"));
    assertEquals(0.0, j.getDouble("rows[0].tokens[1].cosine"), 1e-6);
    assertEquals("\u2581positive", j.getString("rows[0].tokens[0].piece"));
    assertEquals(2, j.getInt("rows[1].tokens[0].token_id"));
    assertEquals(0.8, j.getDouble("rows[1].tokens[0].cosine"), 1e-6);
    assertEquals(1, j.getInt("rows[1].tokens[1].token_id"));
    assertEquals(0.6, j.getDouble("rows[1].tokens[1].cosine"), 1e-6);
    assertEquals(5, j.getInt("rows[2].tokens[0].token_id"));
    assertEquals(0.5, j.getDouble("rows[2].tokens[0].cosine"), 1e-6);
    assertEquals((1 + 0.8 + 0.5) / 3, j.getDouble("summary.mean_top1_cosine"), 1e-6);
  }

  @Test
  void labelsFromTheVersionsTaskFormatMarkRows() {
    JsonPath j = as("viewer").get("/v1/versions/inspect:1/nearest-tokens?k=2").then().statusCode(200)
        .extract().jsonPath();
    // The fixture version records task_format sst2: its labels are negative and positive.
    assertEquals(List.of("negative", "positive"), j.getList("labels"));
    assertEquals("task_format", j.getString("labels_source"));
    assertTrue(j.getBoolean("rows[0].label_match"), "row 0 is the embedding of 'positive'");
    assertEquals("positive", j.getString("rows[0].tokens[0].label"));
    assertTrue(j.getBoolean("rows[1].label_match"), "row 1 has 'negative' second");
    assertEquals("negative", j.getString("rows[1].tokens[1].label"));
    assertNull(j.getString("rows[1].tokens[0].label"), "'the' is no label");
    assertFalse(j.getBoolean("rows[2].label_match"));
    assertEquals(2, j.getInt("summary.rows_with_label_match"));
  }

  @Test
  void theLabelsParameterReplacesTheRecordedLabels() {
    JsonPath j = as("viewer").queryParam("k", 1).queryParam("labels", "The, other")
        .get("/v1/versions/inspect:1/nearest-tokens").then()
        .statusCode(200).extract().jsonPath();
    assertEquals(List.of("The", "other"), j.getList("labels"));
    assertEquals("request", j.getString("labels_source"));
    assertFalse(j.getBoolean("rows[0].label_match"), "positive is not asked for");
    assertTrue(j.getBoolean("rows[1].label_match"), "the (case ignored, word mark stripped)");
    assertEquals(1, j.getInt("summary.rows_with_label_match"));
  }

  @Test
  void withoutRecordedLabelsTheTrainingJobsTaskFormatIsAsked() {
    JsonPath j = as("viewer").get("/v1/versions/inspect:2/nearest-tokens?k=1").then().statusCode(200)
        .extract().jsonPath();
    assertEquals(List.of("the", "zebra"), j.getList("labels"));
    assertEquals("training_job", j.getString("labels_source"));
    assertTrue(j.getBoolean("rows[1].label_match"), "row 1's nearest token is 'the'");
    assertFalse(j.getBoolean("rows[0].label_match"));
    // Only a label map: its distinct values, sorted.
    as("viewer").get("/v1/versions/inspect:3/nearest-tokens?k=1").then().statusCode(200)
        .body("labels", equalTo(List.of("negative", "positive"))).body("labels_source", equalTo("training_job"))
        .body("rows[0].label_match", equalTo(true));
  }

  @Test
  void theBaselineHasTheRowNormsAndIsSentInlineToTheSameRpc() {
    InspectFixtures.REQUESTS.clear();
    JsonPath j = as("viewer").get("/v1/versions/inspect:1/nearest-tokens?k=3").then().statusCode(200)
        .extract().jsonPath();
    assertEquals(2, InspectFixtures.REQUESTS.size(), "one call for the version, one for the random rows");
    NearestTokensRequest trained = InspectFixtures.REQUESTS.get(0);
    NearestTokensRequest random = InspectFixtures.REQUESTS.get(1);
    assertEquals(InspectFixtures.VERSION_ID, trained.getPrompt().getVersion().getRef());
    assertEquals(3, trained.getK());
    assertTrue(random.getPrompt().hasTensor(), "the baseline travels as an inline tensor");
    assertEquals(List.of(3L, 64L), random.getPrompt().getTensor().getShapeList());
    assertEquals(3, random.getK());
    float[] r = Tensors.toFloats(random.getPrompt().getTensor(), "random");
    double[] expected = {3, 5, 2};
    for (int row = 0; row < 3; row++) {
      double sum = 0;
      int nonZero = 0;
      for (int c = 0; c < 64; c++) {
        double v = r[row * 64 + c];
        sum += v * v;
        nonZero += v != 0 ? 1 : 0;
      }
      assertEquals(expected[row], Math.sqrt(sum), 1e-5, "random row " + row + " has the prompt row's norm");
      assertTrue(nonZero > 32, "random row " + row + " is not an axis: " + nonZero + " non-zero values");
      assertEquals(expected[row], j.getDouble("baseline.rows[" + row + "].norm"), 1e-5);
      assertEquals(3, j.getList("baseline.rows[" + row + "].tokens").size());
    }
    assertTrue(j.getDouble("summary.baseline_mean_top1_cosine") < j.getDouble("summary.mean_top1_cosine"),
        "random directions are far from every one of 16 axes in 64 dimensions: " + j.getString("summary"));
  }

  @Test
  void theBaselineIsStableForAVersion() {
    String first = as("viewer").get("/v1/versions/inspect:1/nearest-tokens").then().statusCode(200)
        .extract().jsonPath().getString("baseline");
    String second = as("viewer").get("/v1/versions/" + InspectFixtures.VERSION_ID + "/nearest-tokens").then()
        .statusCode(200).extract().jsonPath().getString("baseline");
    assertEquals(first, second);
    assertNotEquals(RandomBaseline.seedFor(InspectFixtures.VERSION_ID), RandomBaseline.seedFor("another"));
  }

  @Test
  void anEnsembleIsRefusedNamingItsMembers() {
    as("viewer").get("/v1/versions/inspect-ensemble:1/nearest-tokens").then().statusCode(412)
        .body("error.code", equalTo("ENSEMBLE_NOT_SUPPORTED"))
        .body("error.details.members", equalTo(List.of("inspect:1", "sentiment:2")));
  }

  @Test
  void anUnknownVersionIsA404() {
    as("viewer").get("/v1/versions/nope:9/nearest-tokens").then().statusCode(404)
        .body("error.code", equalTo("NOT_FOUND"));
  }
}
