package io.promptune.gateway.api;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Adds to every operation of the document the error responses any operation of its kind can answer, all with the
 * {@code {"error": {...}}} body (components/responses in {@link OpenApiDefinition}): 400 where it takes parameters
 * or a body, 413 and 415 where it takes a body, 401 unless it is public, 500 always, and 503/504 where it calls a service
 * behind the gateway. The errors particular to an operation (403, 404, 409, 429) are declared on its method. Runs at
 * build time, so the stored document (target/openapi) and /q/openapi are the same.
 */
@OpenApiFilter(stages = OpenApiFilter.RunStage.BUILD)
public class ErrorResponsesFilter implements OASFilter {

  /** Operations the gateway answers by itself, without a backend. */
  static final Set<String> LOCAL_OPERATIONS = Set.of("getServiceInfo", "whoAmI");

  @Override
  public void filterOpenAPI(OpenAPI openAPI) {
    if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
      return;
    }
    openAPI.getPaths().getPathItems().values().forEach(item -> {
      Map<?, Operation> operations = item.getOperations();
      if (operations == null) {
        return;
      }
      boolean pathParameters = item.getParameters() != null && !item.getParameters().isEmpty();
      operations.values().forEach(op -> addErrors(op, pathParameters));
    });
  }

  private static void addErrors(Operation op, boolean pathParameters) {
    APIResponses responses = op.getResponses();
    if (responses == null) {
      responses = OASFactory.createAPIResponses();
      op.setResponses(responses);
    }
    boolean body = op.getRequestBody() != null;
    boolean parameters = pathParameters || (op.getParameters() != null && !op.getParameters().isEmpty());
    if (body || parameters) {
      APIResponse existing = responses.getAPIResponse("400");
      // The scanner adds a bare "400: Bad Request" (no content) to operations with a body: give it the error body.
      if (existing == null || (existing.getRef() == null && existing.getContent() == null)) {
        responses.addAPIResponse("400", ref("BadRequest"));
      }
    }
    if (body) {
      addIfMissing(responses, "413", "TooLarge");
      addIfMissing(responses, "415", "UnsupportedMediaType");
    }
    boolean isPublic = op.getSecurity() != null && op.getSecurity().isEmpty();
    if (!isPublic) {
      addIfMissing(responses, "401", "Unauthorized");
    }
    addIfMissing(responses, "500", "InternalError");
    if (op.getOperationId() == null || !LOCAL_OPERATIONS.contains(op.getOperationId())) {
      addIfMissing(responses, "503", "Unavailable");
      addIfMissing(responses, "504", "Timeout");
    }
  }

  private static void addIfMissing(APIResponses responses, String code, String component) {
    if (!responses.hasAPIResponse(code)) {
      responses.addAPIResponse(code, ref(component));
    }
  }

  private static APIResponse ref(String component) {
    return OASFactory.createAPIResponse().ref(component);
  }
}
