package io.promptune.gateway.openapi;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.promptune.gateway.testing.FakeBackends;
import io.promptune.testing.NodeTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gateway's OpenAPI document, as served at /q/openapi, passes Redocly CLI's {@code recommended} ruleset with no
 * error and no warning (the CLI is pinned in gateway/package.json and installed with npm ci).
 */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class OpenApiLintTest {

  @Test
  void theDocumentPassesRedoclyRecommended() throws Exception {
    String yaml = given().get("/q/openapi").then().statusCode(200).extract().asString();
    Path file = Path.of("target/openapi-lint/openapi.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, yaml);

    NodeTool redocly = NodeTool.of("redocly");
    NodeTool.Result lint = redocly.run(Map.of("REDOCLY_TELEMETRY", "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"),
        "lint", "--extends=recommended", "--format=json", file.toString());
    String out = lint.output();
    int json = out.indexOf('{');
    assertTrue(json >= 0, "redocly printed no report (exit " + lint.exitCode() + "):\n" + out);
    JsonNode report = new ObjectMapper().readTree(out.substring(json, out.lastIndexOf('}') + 1));
    List<String> problems = new ArrayList<>();
    for (JsonNode p : report.path("problems")) {
      problems.add(p.path("severity").asText() + " " + p.path("ruleId").asText() + ": " + p.path("message").asText()
          + " at " + p.at("/location/0/pointer").asText());
    }
    assertEquals(List.of(), problems, "Redocly recommended found problems in " + file);
    assertEquals(0, lint.exitCode(), out);
  }
}
