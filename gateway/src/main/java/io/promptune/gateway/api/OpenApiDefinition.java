package io.promptune.gateway.api;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** OpenAPI metadata: every call (but GET /v1) needs an API key as a bearer token. */
@OpenAPIDefinition(info = @Info(title = "Promptune gateway", version = "v1"),
    security = @SecurityRequirement(name = "apiKey"))
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
    description = "An API key: 'Authorization: Bearer <key>' (or the X-API-Key header).")
public class OpenApiDefinition extends Application {}
