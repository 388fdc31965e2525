package io.promptune.registry.domain;

import io.promptune.api.v1.CombinationRule;
import java.util.List;
import java.util.Map;

/** What CreateEnsemble asks for. {@code task} is used only when the prompt is created on the way. */
public record NewEnsemble(String promptName, List<VersionRef> members, CombinationRule rule, String trainingJobId,
    Map<String, String> hyperparameters, Map<String, Double> metrics, boolean createPromptIfMissing, String task) {}
