package io.promptune.gateway.errors;

import java.util.Map;

/** The JSON body of every error: {@code {"error":{"code":"...","message":"...","details":{...}}}}. */
public record ErrorBody(Detail error) {

  /**
   * @param code    stable, upper-case; scripts branch on it (e.g. NOT_FOUND, ENVIRONMENT_ORDER)
   * @param message what went wrong and what to do about it, for a person
   * @param details the offending field or entity, the backend that answered, ...
   */
  public record Detail(String code, String message, Map<String, Object> details) {}

  public static ErrorBody of(String code, String message, Map<String, Object> details) {
    return new ErrorBody(new Detail(code, message, details == null ? Map.of() : details));
  }
}
