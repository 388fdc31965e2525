package io.promptune.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** An error answered by the gateway (or the gateway not answering at all: status 0). */
public final class GatewayException extends RuntimeException {

  private final int status;
  private final String code;
  private final JsonNode details;

  public GatewayException(int status, String code, String message) {
    this(status, code, message, null);
  }

  public GatewayException(int status, String code, String message, JsonNode details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The error body's {@code details} (an empty object when it had none). */
  public JsonNode details() {
    return details == null ? GatewayClient.JSON.createObjectNode() : details;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public int exitCode() {
    return ExitCodes.forHttpStatus(status);
  }
}
