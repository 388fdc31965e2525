package io.promptune.trainer.init;

import io.promptune.api.v1.InitMethod;

/**
 * The starting P and where it came from.
 *
 * @param values        row-major [length, dModel]
 * @param fromVersionId the registry version it was copied from (FROM_VERSION), else empty
 * @param fromPrompt    that version's prompt name, else empty
 */
public record InitializedPrompt(float[] values, int length, int dModel, InitMethod method, String fromVersionId,
    String fromPrompt) {}
