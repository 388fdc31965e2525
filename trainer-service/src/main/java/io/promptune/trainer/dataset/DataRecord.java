package io.promptune.trainer.dataset;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/** One example: field name to text value, in sorted field order (no hash-map iteration order anywhere). */
public record DataRecord(SortedMap<String, String> fields) {

  public DataRecord {
    fields = Collections.unmodifiableSortedMap(new TreeMap<>(fields));
  }

  public String get(String field) {
    return fields.get(field);
  }
}
