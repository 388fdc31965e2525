package io.promptune.deploy.cli;

/** Exit codes of the commands that talk to the gateway; scripts can branch on them. */
public final class ExitCodes {

  private ExitCodes() {}

  public static final int OK = 0;
  /** Anything else that went wrong (the message says what). */
  public static final int ERROR = 1;
  /** Bad command line (picocli's own code for invalid input). */
  public static final int USAGE = 2;
  /** The prompt, version, job or dataset does not exist (HTTP 404). */
  public static final int NOT_FOUND = 3;
  /** No key, unknown key, or a role too low (HTTP 401/403). */
  public static final int AUTH = 4;
  /** The request conflicts with the current state (HTTP 409/412): e.g. environment order, nothing to roll back. */
  public static final int CONFLICT = 5;
  /** The gateway or a service behind it is not reachable (HTTP 503, connection refused). */
  public static final int UNAVAILABLE = 6;
  /** A followed training job ended FAILED or CANCELLED. */
  public static final int JOB_FAILED = 7;

  /** The exit code for an HTTP status from the gateway. */
  public static int forHttpStatus(int status) {
    return switch (status) {
      case 404 -> NOT_FOUND;
      case 401, 403 -> AUTH;
      case 409, 412 -> CONFLICT;
      case 0, 502, 503, 504 -> UNAVAILABLE;
      case 400, 413, 415 -> USAGE;
      default -> ERROR;
    };
  }
}
