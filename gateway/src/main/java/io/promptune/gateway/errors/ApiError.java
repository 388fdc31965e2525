package io.promptune.gateway.errors;

import io.promptune.api.CallerIdentity;
import io.promptune.api.CallerIdentity.Role;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** An error answered to the HTTP caller as {@link ErrorBody}; thrown anywhere in the gateway. */
public final class ApiError extends RuntimeException {

  private final int status;
  private final String code;
  private final Map<String, Object> details;

  public ApiError(int status, String code, String message, Map<String, Object> details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details == null ? Map.of() : Map.copyOf(details);
  }

  public ApiError(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Map<String, Object> details() {
    return details;
  }

  public ErrorBody body() {
    return ErrorBody.of(code, getMessage(), details);
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, "INVALID_ARGUMENT", message);
  }

  /** 400 naming the request field that is wrong. */
  public static ApiError invalidField(String field, String message) {
    return new ApiError(400, "INVALID_ARGUMENT", message, Map.of("field", field));
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "NOT_FOUND", message);
  }

  public static ApiError tooLarge(String message, long limitBytes) {
    return new ApiError(413, "REQUEST_TOO_LARGE", message, Map.of("limit_bytes", limitBytes));
  }

  public static ApiError unauthenticated(String message) {
    return new ApiError(401, "UNAUTHENTICATED", message);
  }

  public static ApiError forbidden(String action, Role needed, CallerIdentity who) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("required_role", needed.name().toLowerCase(Locale.ROOT));
    d.put("your_role", who.role().name().toLowerCase(Locale.ROOT));
    d.put("key", who.actor());
    return new ApiError(403, "PERMISSION_DENIED", action + " needs the " + needed.name().toLowerCase(Locale.ROOT)
        + " role; the key '" + who.actor() + "' has " + who.role().name().toLowerCase(Locale.ROOT)
        + ". Use a key with that role.", d);
  }
}
