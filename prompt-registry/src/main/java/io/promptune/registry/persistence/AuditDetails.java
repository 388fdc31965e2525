package io.promptune.registry.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptune.registry.domain.Gate;
import io.promptune.registry.domain.GateCheck;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The audit_events.details jsonb column: {"gate_checks": [...], "gate": {...}}, each key only when set. */
final class AuditDetails {

  private static final ObjectMapper JSON = new ObjectMapper();

  private AuditDetails() {}

  static String write(List<GateCheck> checks, Gate gate) {
    ObjectNode root = JSON.createObjectNode();
    if (!checks.isEmpty()) {
      var array = root.putArray("gate_checks");
      for (GateCheck g : checks) {
        ObjectNode n = array.addObject();
        n.put("gate_name", g.gateName()).put("dataset_id", g.datasetId()).put("split", g.split())
            .put("metric", g.metric()).put("lower_is_better", g.lowerIsBetter()).put("passed", g.passed())
            .put("threshold", g.threshold()).put("max_regression", g.maxRegression()).put("found", g.found())
            .put("current", g.current()).put("failure", g.failure());
      }
    }
    if (gate != null) {
      root.putObject("gate").put("environment", gate.environment()).put("name", gate.name())
          .put("prompt_name", gate.promptName()).put("task", gate.task()).put("dataset_id", gate.datasetId())
          .put("split", gate.split()).put("metric", gate.metric()).put("threshold", gate.threshold())
          .put("max_regression", gate.maxRegression()).put("lower_is_better", gate.lowerIsBetter())
          .put("description", gate.description()).put("updated_by", gate.updatedBy())
          .put("updated_at", gate.updatedAt() == null ? null : gate.updatedAt().toString());
    }
    return root.toString();
  }

  static List<GateCheck> gateChecks(String json) {
    List<GateCheck> out = new ArrayList<>();
    for (JsonNode n : read(json).path("gate_checks")) {
      out.add(new GateCheck(n.path("gate_name").asText(), n.path("dataset_id").asText(), n.path("split").asText(),
          n.path("metric").asText(), n.path("lower_is_better").asBoolean(), n.path("passed").asBoolean(),
          number(n, "threshold"), number(n, "max_regression"), number(n, "found"), number(n, "current"),
          n.path("failure").asText()));
    }
    return out;
  }

  static Gate gate(String json) {
    JsonNode n = read(json).path("gate");
    if (n.isMissingNode() || n.isNull()) {
      return null;
    }
    return new Gate(n.path("environment").asText(), n.path("name").asText(), n.path("prompt_name").asText(),
        n.path("task").asText(), n.path("dataset_id").asText(), n.path("split").asText(), n.path("metric").asText(),
        number(n, "threshold"), number(n, "max_regression"), n.path("lower_is_better").asBoolean(),
        n.path("description").asText(), n.path("updated_by").asText(),
        n.path("updated_at").isTextual() ? Instant.parse(n.path("updated_at").asText()) : null);
  }

  private static Double number(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isNumber() ? v.doubleValue() : null;
  }

  private static JsonNode read(String json) {
    try {
      return JSON.readTree(json == null ? "{}" : json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable audit details: " + e.getOriginalMessage(), e);
    }
  }
}
