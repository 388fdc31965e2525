package io.promptune.runtime.service;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.Tensors;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.EnvironmentVersion;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.NumberedVersion;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.VersionSelector;
import io.promptune.runtime.engine.SoftPrompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns request {@link PromptRef}s into {@link SoftPrompt}s: inline tensors are validated (FLOAT32, rank 2, width
 * d_model, finite, within the row limit); registry versions are fetched through {@link RegistryLookup}, checked
 * against this model (d_model and base-model fingerprint) and cached by version id. Version ids and
 * {@code name:number} are immutable and resolve from the cache; {@code name@environment} always asks the registry
 * which id the alias points at now (metadata only), then takes the tensor from the cache when it has it.
 */
public final class PromptResolver {

  private static final Pattern NON_FINITE = Pattern.compile("element (\\d+) is (\\S+) \\(must be finite\\)");

  private final RegistryLookup registry;
  private final int dModel;
  private final String fingerprint;
  private final String modelId;
  private final Limits limits;
  private final PromptCache cache;
  private final Map<String, String> numberedIds = new ConcurrentHashMap<>();

  public PromptResolver(RegistryLookup registry, int dModel, String fingerprint, String modelId, Limits limits,
      long cacheBytes) {
    this.registry = registry;
    this.dModel = dModel;
    this.fingerprint = fingerprint;
    this.modelId = modelId;
    this.limits = limits;
    this.cache = new PromptCache(cacheBytes);
  }

  public List<SoftPrompt> resolveAll(List<PromptRef> refs, String field) {
    List<SoftPrompt> out = new ArrayList<>(refs.size());
    for (int i = 0; i < refs.size(); i++) {
      out.add(resolve(refs.get(i), field + "[" + i + "]"));
    }
    return out;
  }

  public SoftPrompt resolve(PromptRef ref, String field) {
    return switch (ref.getSourceCase()) {
      case TENSOR -> fromTensor(ref.getTensor(), field + ".tensor");
      case VERSION -> fromRegistry(ref.getVersion(), field + ".version");
      default -> throw Errors.invalid(ErrorReason.EMPTY_INPUT, field, "neither tensor nor version is set");
    };
  }

  /** Registry versions currently cached. */
  public int cachedVersions() {
    return cache.size();
  }

  /** Validates a [length, d_model] FLOAT32 prompt. */
  public SoftPrompt fromTensor(Tensor t, String field) {
    if (t.getDtype() != DType.FLOAT32) {
      throw Errors.invalid(ErrorReason.INVALID_TENSOR, field, "dtype is " + t.getDtype() + "; prompts are FLOAT32");
    }
    if (t.getShapeCount() != 2) {
      throw Errors.invalid(ErrorReason.SHAPE_MISMATCH, field, "shape " + t.getShapeList() + " has rank "
          + t.getShapeCount() + "; a prompt is [prompt_length, d_model] = [n, " + dModel + "]");
    }
    long rows = t.getShape(0);
    long width = t.getShape(1);
    if (width != dModel) {
      throw Errors.invalid(ErrorReason.SHAPE_MISMATCH, field, "prompt width is " + width + " but the model's d_model is "
          + dModel + "; send shape [prompt_length, " + dModel + "]");
    }
    if (rows < 1) {
      throw Errors.invalid(ErrorReason.INVALID_TENSOR, field, "prompt has " + rows + " rows; give at least one");
    }
    if (rows > limits.maxPromptLength()) {
      throw Errors.invalid(ErrorReason.SHAPE_MISMATCH, field, "prompt has " + rows + " rows, over the limit of "
          + limits.maxPromptLength() + " (promptune.runtime.max-prompt-length)");
    }
    float[] values;
    try {
      values = Tensors.toFloats(t, field);
    } catch (IllegalArgumentException e) {
      Matcher m = NON_FINITE.matcher(e.getMessage());
      String msg = m.find()
          ? "element [" + Long.parseLong(m.group(1)) / dModel + ", " + Long.parseLong(m.group(1)) % dModel + "] is "
              + m.group(2) + "; every value must be finite"
          : e.getMessage().replace(field + ": ", "");
      throw Errors.invalid(ErrorReason.INVALID_TENSOR, field, msg);
    }
    return new SoftPrompt((int) rows, dModel, values);
  }

  private SoftPrompt fromRegistry(VersionSelector sel, String field) {
    VersionSelector s = normalize(sel, field);
    String id = switch (s.getSelectorCase()) {
      case VERSION_ID -> s.getVersionId();
      case NUMBERED -> numberedIds.get(s.getNumbered().getPromptName() + ":" + s.getNumbered().getNumber());
      default -> lookup(s, true, field).getId(); // name@environment: the alias moves, ask every time
    };
    if (id != null) {
      SoftPrompt hit = cache.get(id);
      if (hit != null) {
        return hit;
      }
    }
    PromptVersion v = lookup(id != null ? VersionSelector.newBuilder().setVersionId(id).build() : s, false, field);
    checkCompatible(v, field);
    SoftPrompt p = fromTensor(v.getTensor(), field + " (" + describe(v) + ")");
    cache.put(v.getId(), p);
    numberedIds.put(v.getPromptName() + ":" + v.getNumber(), v.getId());
    return p;
  }

  /** Parses the textual form ("uuid", "name:3", "name@prod") into the structured selectors. */
  static VersionSelector normalize(VersionSelector sel, String field) {
    if (sel.getSelectorCase() != VersionSelector.SelectorCase.REF) {
      if (sel.getSelectorCase() == VersionSelector.SelectorCase.SELECTOR_NOT_SET) {
        throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, field, "no version selector set");
      }
      return sel;
    }
    String ref = sel.getRef().strip();
    int at = ref.lastIndexOf('@');
    int colon = ref.lastIndexOf(':');
    if (at > 0 && at < ref.length() - 1) {
      return VersionSelector.newBuilder().setEnvironment(EnvironmentVersion.newBuilder()
          .setPromptName(ref.substring(0, at)).setEnvironment(ref.substring(at + 1))).build();
    }
    if (colon > 0 && ref.substring(colon + 1).matches("\\d{1,9}")) {
      return VersionSelector.newBuilder().setNumbered(NumberedVersion.newBuilder()
          .setPromptName(ref.substring(0, colon)).setNumber(Integer.parseInt(ref.substring(colon + 1)))).build();
    }
    if (ref.isEmpty() || at >= 0 || colon >= 0) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, field, "ref '" + ref
          + "' is not '<version id>', '<prompt>:<number>' or '<prompt>@<environment>'");
    }
    return VersionSelector.newBuilder().setVersionId(ref).build();
  }

  private PromptVersion lookup(VersionSelector s, boolean omitTensor, String field) {
    try {
      return registry.getVersion(s, omitTensor);
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      String what = field + ": prompt registry: " + e.getStatus().getDescription();
      if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
        throw Errors.unavailable(field + ": the prompt registry is unreachable (" + code + ": "
            + e.getStatus().getDescription() + "); send the "
            + "prompt tensor inline or retry when the registry is up");
      }
      ErrorReason reason = ApiErrors.reasonOf(e).orElse(
          code == Status.Code.NOT_FOUND ? ErrorReason.NOT_FOUND : ErrorReason.INVALID_ARGUMENT);
      throw ApiErrors.error(code, reason, what, Map.of("field", field));
    }
  }

  private void checkCompatible(PromptVersion v, String field) {
    if (v.getDModel() != dModel || !fingerprint.equals(v.getBaseModelFingerprint())) {
      throw Errors.modelMismatch(field, describe(v) + " was made for base model '" + v.getBaseModelId()
          + "' (d_model " + v.getDModel() + ", fingerprint " + shortFp(v.getBaseModelFingerprint()) + ") but this "
          + "runtime serves '" + modelId + "' (d_model " + dModel + ", fingerprint " + shortFp(fingerprint)
          + "); use a version trained on this model, or run a runtime with that model");
    }
  }

  private static String describe(PromptVersion v) {
    return "version " + v.getPromptName() + ":" + v.getNumber() + " (" + v.getId() + ")";
  }

  private static String shortFp(String fp) {
    return fp == null || fp.isEmpty() ? "<none>" : fp.length() > 12 ? fp.substring(0, 12) + "…" : fp;
  }
}
