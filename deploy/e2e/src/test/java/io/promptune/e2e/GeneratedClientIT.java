package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptune.client.generated.ApiClient;
import io.promptune.client.generated.ApiException;
import io.promptune.client.generated.api.InferenceApi;
import io.promptune.client.generated.api.MetaApi;
import io.promptune.client.generated.api.PromptsApi;
import io.promptune.client.generated.model.CreatePrompt;
import io.promptune.client.generated.model.GenerateRequest;
import io.promptune.client.generated.model.GenerateResponse;
import io.promptune.client.generated.model.Generation;
import io.promptune.client.generated.model.Input;
import io.promptune.client.generated.model.ModelJson;
import io.promptune.client.generated.model.PagePromptJson;
import io.promptune.client.generated.model.PublishVersion;
import io.promptune.client.generated.model.TensorJson;
import io.promptune.client.generated.model.VersionJson;
import io.promptune.client.generated.model.WhoAmI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Another team's view of the REST API: a Java client generated at build time from the OpenAPI document the gateway's
 * build wrote (openapi-generator-maven-plugin, pom.xml), pointed at a real deployment's gateway with an API key. It
 * reads who it is, creates and lists prompts, publishes a version and generates with it, and reads the error body of
 * a failed call. If the document and the server drift apart, this is where it shows.
 */
@org.junit.jupiter.api.extension.ExtendWith(SharedDeployment.class)
class GeneratedClientIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  static Deployment deployment;

  @org.junit.jupiter.api.BeforeAll
  static void up(Deployment shared) {
    deployment = shared;
  }

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  /** A generated-client ApiClient for the deployment's gateway that sends {@code key} (none when null). */
  private static ApiClient client(String key) {
    ApiClient api = new ApiClient();
    api.updateBaseUri("http://127.0.0.1:" + deployment.httpPort(8080));
    api.setReadTimeout(Duration.ofSeconds(120));
    if (key != null) {
      api.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + key));
    }
    return api;
  }

  @Test
  void whoAmIListsPromptsPublishesAndGenerates() throws Exception {
    String key = deployment.createKey("generated-client", "trainer");
    ApiClient api = client(key);

    WhoAmI me = new MetaApi(api).whoAmI();
    assertEquals("generated-client", me.getName());
    assertEquals("trainer", me.getRole());

    PromptsApi prompts = new PromptsApi(api);
    String name = "gen-client-" + UUID.randomUUID().toString().substring(0, 8);
    prompts.createPrompt(new CreatePrompt().name(name).task("e2e").description("made by the generated client"));
    PagePromptJson page = prompts.listPrompts(null, null, null);
    assertTrue(page.getItems().stream().anyMatch(p -> name.equals(p.getName())), "not listed: " + page);

    // A version for the loaded model: 4 rows of d_model float32 values.
    ModelJson model = new InferenceApi(api).getModelInfo();
    int rows = 4;
    ByteBuffer data = ByteBuffer.allocate(rows * model.getdModel() * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < rows * model.getdModel(); i++) {
      data.putFloat((float) Math.sin(i) * 0.1f);
    }
    VersionJson v = prompts.publishVersion(name, new PublishVersion()
        .tensor(new TensorJson().shape(List.of((long) rows, (long) model.getdModel())).dtype("float32")
            .dataBase64(Base64.getEncoder().encodeToString(data.array())))
        .baseModelId(model.getModelId()).baseModelFingerprint(model.getFingerprint())
        .tokenizerFingerprint(model.getTokenizerFingerprint()));
    assertEquals(1, v.getNumber());

    GenerateResponse out = new InferenceApi(api).generate(new GenerateRequest().prompt(name + ":1")
        .inputs(List.of(new Input().text("hello"), new Input().text("world"))).maxNewTokens(4));
    assertEquals(2, out.getGenerations().size());
    for (Generation g : out.getGenerations()) {
      assertEquals(name + ":1", g.getPrompt());
      assertFalse(g.getTokenIds().isEmpty(), g.toString());
      assertNotNull(g.getFinishReason(), g.toString());
    }
  }

  @Test
  void errorsComeBackAsTheDocumentedErrorBody() throws Exception {
    ApiClient api = client(deployment.createKey("generated-client-viewer", "viewer"));

    ApiException missing = assertThrows(ApiException.class, () -> new PromptsApi(api).getPrompt("no-such-prompt"));
    assertEquals(404, missing.getCode());
    JsonNode error = JSON.readTree(missing.getResponseBody()).path("error");
    assertEquals("NOT_FOUND", error.path("code").asText(), missing.getResponseBody());
    assertFalse(error.path("message").asText().isBlank(), missing.getResponseBody());

    ApiException denied = assertThrows(ApiException.class,
        () -> new PromptsApi(api).createPrompt(new CreatePrompt().name("viewer-may-not")));
    assertEquals(403, denied.getCode());
    assertEquals("PERMISSION_DENIED", JSON.readTree(denied.getResponseBody()).at("/error/code").asText());

    ApiException anonymous = assertThrows(ApiException.class, () -> new MetaApi(client(null)).whoAmI());
    assertEquals(401, anonymous.getCode());
    assertEquals("UNAUTHENTICATED", JSON.readTree(anonymous.getResponseBody()).at("/error/code").asText());
  }
}
