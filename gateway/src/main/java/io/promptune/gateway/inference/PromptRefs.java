package io.promptune.gateway.inference;

import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.VersionSelector;
import io.promptune.gateway.errors.ApiError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The distinct prompts of one inference request, each a registry reference the runtime resolves: a version id,
 * {@code name:N}, {@code name@env}, or a bare name (the alias in the default environment). Inputs point at them by
 * index, so one request mixes tasks.
 */
final class PromptRefs {

  private static final Pattern UUID = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final String defaultEnvironment;
  private final Map<String, Integer> index = new LinkedHashMap<>();
  private int withoutPrompt;
  private int withPrompt;

  PromptRefs(String defaultEnvironment) {
    this.defaultEnvironment = defaultEnvironment;
  }

  /** The canonical reference for what a caller wrote. */
  String canonical(String ref) {
    String r = ref.trim();
    if (UUID.matcher(r).matches() || r.contains(":") || r.contains("@")) {
      return r;
    }
    if (!NAME.matcher(r).matches()) {
      throw ApiError.invalidField("prompt", "'" + ref + "' is not a prompt reference: use a version id, name:N, "
          + "name@env or a prompt name.");
    }
    return r + "@" + defaultEnvironment;
  }

  /** The prompt index for an input (0 when there are no prompts at all). */
  int add(String ref, int inputIndex) {
    if (ref == null || ref.isBlank()) {
      withoutPrompt++;
      check(inputIndex);
      return 0;
    }
    withPrompt++;
    check(inputIndex);
    return index.computeIfAbsent(canonical(ref), k -> index.size());
  }

  private void check(int inputIndex) {
    if (withPrompt > 0 && withoutPrompt > 0) {
      throw ApiError.invalidField("inputs[" + inputIndex + "].prompt", "Either every input has a prompt (its own "
          + "or the request's 'prompt') or none has; input " + inputIndex + " breaks that.");
    }
  }

  String refOf(int promptIndex) {
    if (index.isEmpty()) {
      return null;
    }
    return new ArrayList<>(index.keySet()).get(promptIndex);
  }

  List<PromptRef> protos() {
    return index.keySet().stream().map(r -> PromptRef.newBuilder()
        .setVersion(VersionSelector.newBuilder().setRef(r)).build()).toList();
  }
}
