package io.promptune.registry.domain;

/**
 * One gate as a promotion checked it. {@code found}: the promoted version's latest value (null when it has none);
 * {@code current}: the value of the version the environment held (null when none); {@code failure}: what failed, ""
 * when passed.
 */
public record GateCheck(String gateName, String datasetId, String split, String metric, boolean lowerIsBetter,
    boolean passed, Double threshold, Double maxRegression, Double found, Double current, String failure) {}
