package io.promptune.deploy.cli;

/** An error answered by the gateway (or the gateway not answering at all: status 0). */
public final class GatewayException extends RuntimeException {

  private final int status;
  private final String code;

  public GatewayException(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
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
