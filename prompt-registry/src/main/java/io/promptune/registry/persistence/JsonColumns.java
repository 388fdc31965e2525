package io.promptune.registry.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.TreeMap;

/** The jsonb columns hyperparameters (string values) and metrics (number values). */
final class JsonColumns {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<TreeMap<String, Double>> NUMBERS = new TypeReference<>() {};

  private JsonColumns() {}

  static String write(Map<String, ?> map) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(map));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("maps of strings and numbers always serialise", e);
    }
  }

  static Map<String, String> readStrings(String json) {
    return read(json, STRINGS);
  }

  /** jsonb keeps numbers as exact decimals, so a double comes back as the same double. */
  static Map<String, Double> readNumbers(String json) {
    return read(json, NUMBERS);
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable jsonb column: " + e.getOriginalMessage(), e);
    }
  }
}
