package io.promptune.gateway.api;

import io.promptune.gateway.errors.ErrorBody;
import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.Components;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.info.License;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.servers.Server;
import org.eclipse.microprofile.openapi.annotations.servers.ServerVariable;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * OpenAPI metadata: every call (but GET /v1) needs an API key as a bearer token; every error answer is
 * {@link ErrorBody}. The reusable error responses below are referenced by name from the resources
 * ({@code @APIResponse(responseCode = "404", ref = "NotFound")}); {@link ErrorResponsesFilter} adds the ones every
 * operation can answer. docs/api-compatibility.md says what the document promises.
 */
@OpenAPIDefinition(
    info = @Info(title = "Promptune gateway", version = "v1",
        // Promptune is proprietary (README "License"): no license is granted to the code or the API. The SPDX
        // LicenseRef- form names a license that is not on the SPDX list; OpenAPI 3.1 allows an identifier or a
        // url, not both, and the repository has no public address to point a url at.
        license = @License(name = "Proprietary", identifier = "LicenseRef-Proprietary")),
    servers = @Server(url = "http://{host}:{port}", description = "A Promptune gateway (the local launcher's "
        + "listens on 127.0.0.1:8080 plus the deployment's port offset).",
        variables = {
            @ServerVariable(name = "host", defaultValue = "127.0.0.1", description = "The gateway's host."),
            @ServerVariable(name = "port", defaultValue = "8080", description = "The gateway's HTTP port.")}),
    tags = {
        @Tag(name = "meta", description = "Service discovery and the identity of the calling API key."),
        @Tag(name = "prompts", description = "Prompts, their immutable versions, lineage, PEFT export, and the "
            + "environment aliases that promotion and rollback move."),
        @Tag(name = "environments", description = "The environments in promotion order and the audit log of "
            + "promotions and rollbacks."),
        @Tag(name = "datasets", description = "Training and evaluation data: upload (JSONL, CSV, TSV), list, get."),
        @Tag(name = "jobs", description = "Training and evaluation jobs: submit, follow (stored events or "
            + "server-sent events), cancel."),
        @Tag(name = "inference", description = "The frozen model: generation and rank-classification scoring "
            + "with any prompt version, and the loaded model's limits.")},
    security = @SecurityRequirement(name = "apiKey"),
    components = @Components(responses = {
        @APIResponse(name = "BadRequest", responseCode = "400", description = "A parameter or the body is wrong "
            + "(INVALID_ARGUMENT and the other request errors); error.details.field names the field.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "Unauthorized", responseCode = "401", description = "No API key, an unknown key, or a "
            + "malformed Authorization header (UNAUTHENTICATED).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "Forbidden", responseCode = "403", description = "The key's role is too low "
            + "(PERMISSION_DENIED); error.details names the required role.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "NotFound", responseCode = "404", description = "An unknown prompt, version, "
            + "environment, dataset or job (NOT_FOUND).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "NotAcceptable", responseCode = "406", description = "The Accept header asks for a "
            + "media type this operation cannot answer in (NOT_ACCEPTABLE).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "Conflict", responseCode = "409", description = "The state does not allow it: "
            + "ALREADY_EXISTS, CONFLICT (expected version differs), ENVIRONMENT_ORDER, NOTHING_TO_ROLL_BACK, "
            + "JOB_STATE.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "TooLarge", responseCode = "413", description = "The body or an input is over a limit "
            + "(REQUEST_TOO_LARGE, INPUT_TOO_LONG); error.details names the limit.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "UnsupportedMediaType", responseCode = "415", description = "The Content-Type is not "
            + "one this operation accepts (UNSUPPORTED_MEDIA_TYPE).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "TooManyRequests", responseCode = "429", description = "The key has too much work in "
            + "flight on the model runtime (QUOTA_EXCEEDED); retry later.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "InternalError", responseCode = "500", description = "A bug (INTERNAL); the message "
            + "says what failed.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "Unavailable", responseCode = "503", description = "A service behind the gateway is "
            + "down or overloaded (UNAVAILABLE_DEPENDENCY); retry later.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class))),
        @APIResponse(name = "Timeout", responseCode = "504", description = "A service behind the gateway did not "
            + "answer in time (DEADLINE_EXCEEDED).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ErrorBody.class)))}))
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
    description = "An API key: 'Authorization: Bearer <key>' (or the X-API-Key header).")
public class OpenApiDefinition extends Application {}
