package io.promptune.gateway.openapi;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.promptune.gateway.testing.FakeBackends;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document's contract, checked structurally so it holds where npm (and so {@link OpenApiLintTest}) is
 * unavailable: every operation has a stable operationId and at least one 4xx response, and every 4xx/5xx response
 * carries the {@code {"error": {...}}} body; tags are described; servers and a license are given.
 */
@QuarkusTest
@QuarkusTestResource(FakeBackends.class)
class OpenApiContractTest {

  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  /**
   * The operationIds of v1. Generated clients name their methods after them, so one may be added here but never
   * renamed or removed (docs/api-compatibility.md).
   */
  private static final Set<String> V1_OPERATION_IDS = Set.of(
      "getServiceInfo", "whoAmI",
      "listPrompts", "createPrompt", "getPrompt", "listPromptVersions", "getPromptVersion", "publishVersion",
      "listPromptEnvironments", "promoteVersion", "rollbackEnvironment",
      "getVersion", "getVersionLineage", "exportVersionPeft",
      "listEnvironments", "listAuditEvents",
      "listDatasets", "getDataset", "uploadDataset",
      "submitJob", "listJobs", "getJob", "cancelJob", "listJobEvents", "streamJobEvents",
      "getModelInfo", "generate", "score",
      "getVersionNearestTokens");

  static JsonNode doc;

  @BeforeEach
  void fetch() throws Exception {
    if (doc == null) {
      doc = new ObjectMapper().readTree(given().accept("application/json").get("/q/openapi?format=json").then()
          .statusCode(200).extract().asString());
    }
  }

  record Op(String method, String path, JsonNode node) {
    @Override
    public String toString() {
      return method.toUpperCase() + " " + path;
    }
  }

  static List<Op> operations() {
    List<Op> ops = new ArrayList<>();
    doc.get("paths").properties().forEach(p -> p.getValue().properties().forEach(m -> {
      if (METHODS.contains(m.getKey())) {
        ops.add(new Op(m.getKey(), p.getKey(), m.getValue()));
      }
    }));
    return ops;
  }

  @Test
  void everyOperationHasAStableUniqueOperationId() {
    Set<String> seen = new HashSet<>();
    for (Op op : operations()) {
      JsonNode id = op.node().get("operationId");
      assertNotNull(id, op + " has no operationId: add @Operation(operationId = ...)");
      assertTrue(seen.add(id.asText()), op + ": operationId " + id.asText() + " is used twice");
    }
    Set<String> missing = new HashSet<>(V1_OPERATION_IDS);
    missing.removeAll(seen);
    assertEquals(Set.of(), missing, "v1 operationIds were renamed or removed; that breaks generated clients");
  }

  @Test
  void everyOperationAnswersErrorsWithTheErrorBody() {
    for (Op op : operations()) {
      JsonNode responses = op.node().get("responses");
      assertNotNull(responses, op + " has no responses");
      boolean has4xx = false;
      boolean has2xx = false;
      for (Map.Entry<String, JsonNode> r : responses.properties()) {
        String code = r.getKey();
        if (code.startsWith("2")) {
          has2xx = true;
          assertTrue(r.getValue().has("content"), op + " response " + code + " declares no body schema");
        }
        if (code.startsWith("4") || code.startsWith("5")) {
          has4xx |= code.startsWith("4");
          JsonNode response = resolve(r.getValue());
          JsonNode schema = response.at("/content/application~1json/schema/$ref");
          assertEquals("#/components/schemas/ErrorBody", schema.asText(),
              op + " response " + code + " does not declare the error body: " + response);
        }
      }
      assertTrue(has2xx, op + " has no 2xx response");
      assertTrue(has4xx, op + " has no 4xx response");
      if (!op.node().has("security") || !op.node().get("security").isEmpty()) {
        assertTrue(responses.has("401"), op + " needs a key but does not declare 401");
      }
    }
  }

  @Test
  void theErrorBodySchemaIsTheOneTheGatewayAnswers() {
    JsonNode error = doc.at("/components/schemas/ErrorBody/properties/error");
    assertFalse(error.isMissingNode(), "components.schemas.ErrorBody has no 'error' property");
    JsonNode detail = error.has("$ref") ? doc.at(error.get("$ref").asText().substring(1)) : error;
    for (String field : List.of("code", "message", "details")) {
      assertTrue(detail.at("/properties").has(field), "ErrorBody.error lacks " + field + ": " + detail);
    }
    // And an actual error has that shape.
    given().get("/v1/whoami").then().statusCode(401)
        .body("error.code", org.hamcrest.Matchers.equalTo("UNAUTHENTICATED"));
  }

  @Test
  void tagsServersAndLicenseAreDescribed() {
    for (JsonNode tag : doc.get("tags")) {
      assertFalse(tag.path("description").asText().isBlank(), "tag " + tag.get("name") + " has no description");
    }
    Set<String> declared = new HashSet<>();
    doc.get("tags").forEach(t -> declared.add(t.get("name").asText()));
    for (Op op : operations()) {
      op.node().path("tags").forEach(t -> assertTrue(declared.contains(t.asText()), op + ": undeclared tag " + t));
    }
    assertTrue(doc.at("/servers/0/url").asText().startsWith("http"), "no servers");
    // The intended value (README "License"), not a placeholder: proprietary, as an SPDX LicenseRef.
    assertEquals("Proprietary", doc.at("/info/license/name").asText());
    assertEquals("LicenseRef-Proprietary", doc.at("/info/license/identifier").asText());
    assertTrue(doc.at("/info/license/url").isMissingNode(), "OpenAPI 3.1: identifier and url exclude each other");
  }

  /** Framework types (Jackson trees, JAX-RS objects) would reach generated clients as nonsense models. */
  @Test
  void noFrameworkTypeLeaksIntoTheSchemas() {
    for (String leaked : List.of("JsonNode", "JsonNodeType", "OutboundSseEvent", "MediaType")) {
      assertFalse(doc.at("/components/schemas").has(leaked), "components.schemas." + leaked + " is a framework type: "
          + "annotate the field with @Schema(type = ...)");
    }
  }

  private static JsonNode resolve(JsonNode node) {
    int hops = 0;
    while (node.has("$ref") && hops++ < 5) {
      node = doc.at(node.get("$ref").asText().substring(1));
    }
    return node;
  }
}
