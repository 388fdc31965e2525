package io.promptune.registry.domain;

import io.promptune.api.v1.InitMethod;
import java.util.List;
import java.util.Map;

/**
 * What a caller asks to publish (PublishVersion, or ImportPeft after parsing the files). {@code parents} are
 * edges whose child is the new version; their {@code child} is ignored. {@code task} is used only when the
 * prompt is created on the way ({@code createPromptIfMissing}).
 */
public record NewVersion(String promptName, RawTensor tensor, String baseModelId, String baseModelFingerprint,
    String tokenizerFingerprint, InitMethod initMethod, String trainingJobId, Map<String, String> hyperparameters,
    Map<String, Double> metrics, List<LineageEdge> parents, boolean createPromptIfMissing, String task) {}
