package io.promptune.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.gateway.testing.FakeBackends;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every endpoint against every kind of caller: no key and an unknown key are 401; a key whose role is below the
 * endpoint's is 403; a key at or above it reaches the backend (the fake's answer comes back).
 */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class AuthMatrixTest {

  /** An endpoint, the least role it needs, and the status a permitted call gets from the fakes. */
  record Endpoint(String method, String path, String contentType, String body, Role minimum, int okStatus) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  static final String TENSOR = "{\"tensor\":{\"shape\":[1,1],\"dtype\":\"float32\",\"data_base64\":\"AAAAAA==\"}}";

  static final List<Endpoint> ENDPOINTS = List.of(
      new Endpoint("GET", "/v1/whoami", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/prompts", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/prompts/sentiment", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/prompts/sentiment/versions", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/prompts/sentiment/versions/1", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/prompts/sentiment/environments", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/versions/sentiment:2", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/versions/sentiment:2/lineage", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/environments", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/audit", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/datasets", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/jobs", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/jobs/job-1", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/jobs/job-1/events", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/jobs/job-1/stream", null, null, Role.VIEWER, 200),
      new Endpoint("GET", "/v1/model", null, null, Role.VIEWER, 200),
      new Endpoint("POST", "/v1/generate", "application/json", "{\"prompt\":\"sentiment\",\"inputs\":[\"a\"]}",
          Role.VIEWER, 200),
      new Endpoint("POST", "/v1/score", "application/json",
          "{\"prompt\":\"sentiment\",\"candidates\":[\"x\",\"y\"],\"inputs\":[\"a\"]}", Role.VIEWER, 200),
      new Endpoint("POST", "/v1/prompts", "application/json", "{\"name\":\"new-prompt\"}", Role.TRAINER, 201),
      new Endpoint("POST", "/v1/prompts/sentiment/versions", "application/json", TENSOR, Role.TRAINER, 501),
      new Endpoint("POST", "/v1/datasets?name=d&format=jsonl", "application/x-ndjson",
          "{\"input\":\"a\",\"target\":\"b\"}\n", Role.TRAINER, 201),
      new Endpoint("POST", "/v1/jobs", "application/json", "{\"dataset\":\"d\",\"max_steps\":5}", Role.TRAINER,
          201),
      new Endpoint("POST", "/v1/jobs/job-1/cancel", "application/json", "{}", Role.TRAINER, 200),
      new Endpoint("POST", "/v1/prompts/sentiment/environments/staging/promote", "application/json",
          "{\"version\":2}", Role.OPERATOR, 200),
      new Endpoint("POST", "/v1/prompts/sentiment/environments/staging/rollback", "application/json", "{}",
          Role.OPERATOR, 409),
      new Endpoint("POST", "/v1/prompts/sentiment/environments/prod/promote", "application/json",
          "{\"version\":2,\"force\":true}", Role.ADMIN, 200));

  /** null: no key; "bogus": a key nobody configured; else a role. */
  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Endpoint e : ENDPOINTS) {
      all.add(Arguments.of(e, null));
      all.add(Arguments.of(e, "bogus"));
      for (Role r : Role.values()) {
        all.add(Arguments.of(e, r.name().toLowerCase(Locale.ROOT)));
      }
    }
    return all.stream();
  }

  static String keyFor(String role) {
    return "test-" + role + "-key";
  }

  static Response call(Endpoint e, String caller) {
    RequestSpecification r = given();
    if (caller != null) {
      r = r.header("Authorization", "Bearer " + (caller.equals("bogus") ? "not-a-configured-key" : keyFor(caller)));
    }
    if (e.body() != null) {
      r = r.contentType(e.contentType()).body(e.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return r.request(e.method(), e.path());
  }

  @ParameterizedTest(name = "{0} as {1}")
  @MethodSource("cases")
  void roleBoundary(Endpoint e, String caller) {
    Response res = call(e, caller);
    if (caller == null || caller.equals("bogus")) {
      res.then().statusCode(401).body("error.code", equalTo("UNAUTHENTICATED")).body("error.message", notNullValue());
      return;
    }
    Role role = Role.parse(caller);
    if (!role.atLeast(e.minimum())) {
      res.then().statusCode(403).body("error.code", equalTo("PERMISSION_DENIED"))
          .body("error.details.your_role", equalTo(caller))
          .body("error.message", org.hamcrest.Matchers.containsString("role"));
      return;
    }
    assertEquals(e.okStatus(), res.statusCode(), e + " as " + caller + ": " + res.asString());
  }
}
