package io.promptune.runtime.service;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.Tensors;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.EnvironmentVersion;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.InlineEnsemble;
import io.promptune.api.v1.NumberedVersion;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.VersionKind;
import io.promptune.api.v1.VersionSelector;
import io.promptune.common.errors.ServiceException;
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
 *
 * <p>Ensembles (an inline {@link InlineEnsemble}, or a registry version of kind ENSEMBLE whose GetVersion answer
 * carries its members' tensors) resolve to their members through {@link #resolveServed}; Score and Generate use
 * that. Every other call takes one prompt ({@link #resolve}) and refuses an ensemble with ENSEMBLE_NOT_SUPPORTED.
 * An ensemble version's member list is remembered by its id; the members' tensors sit in the same cache as single
 * versions, under the members' own ids.
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
  private final Map<String, EnsembleEntry> ensembles = new ConcurrentHashMap<>();

  /** Members allowed in one ensemble (as the registry's CreateEnsemble). */
  public static final int MIN_MEMBERS = 2;
  public static final int MAX_MEMBERS = 32;

  /**
   * A request prompt as served: one prompt ({@code rule} null), or an ensemble's members in member order and its
   * rule (never UNSPECIFIED).
   */
  public record Served(List<SoftPrompt> members, CombinationRule rule) {
    public boolean isEnsemble() {
      return rule != null;
    }

    public static Served single(SoftPrompt p) {
      return new Served(List.of(p), null);
    }
  }

  private record EnsembleEntry(CombinationRule rule, List<String> memberIds) {}

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

  /** One prompt; an ensemble (inline or a registry version) is refused with ENSEMBLE_NOT_SUPPORTED. */
  public SoftPrompt resolve(PromptRef ref, String field) {
    Served s = resolveServed(ref, field);
    if (s.isEnsemble()) {
      throw new ServiceException(ErrorReason.ENSEMBLE_NOT_SUPPORTED, field + ": is an ensemble of "
          + s.members().size() + " prompts; this call takes one prompt (ensembles serve in Score and Generate), so "
          + "pass one member's version or tensor", Map.of("field", field));
    }
    return s.members().get(0);
  }

  /** For Score and Generate: each ref as one prompt or as an ensemble's members. */
  public List<Served> resolveAllServed(List<PromptRef> refs, String field) {
    List<Served> out = new ArrayList<>(refs.size());
    for (int i = 0; i < refs.size(); i++) {
      out.add(resolveServed(refs.get(i), field + "[" + i + "]"));
    }
    return out;
  }

  public Served resolveServed(PromptRef ref, String field) {
    return switch (ref.getSourceCase()) {
      case TENSOR -> Served.single(fromTensor(ref.getTensor(), field + ".tensor"));
      case VERSION -> fromRegistry(ref.getVersion(), field + ".version");
      case ENSEMBLE -> fromInlineEnsemble(ref.getEnsemble(), field + ".ensemble");
      default -> throw Errors.invalid(ErrorReason.EMPTY_INPUT, field, "neither tensor, version nor ensemble is set");
    };
  }

  private Served fromInlineEnsemble(InlineEnsemble e, String field) {
    int n = e.getMembersCount();
    if (n < MIN_MEMBERS || n > MAX_MEMBERS) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, field + ".members", "has " + n + " prompts; an ensemble has "
          + MIN_MEMBERS + " to " + MAX_MEMBERS);
    }
    List<SoftPrompt> members = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      members.add(fromTensor(e.getMembers(i), field + ".members[" + i + "]"));
    }
    return new Served(List.copyOf(members), ruleOf(e.getRule(), field + ".rule"));
  }

  private static CombinationRule ruleOf(CombinationRule r, String field) {
    return switch (r) {
      case COMBINATION_RULE_UNSPECIFIED, MAJORITY_VOTE -> CombinationRule.MAJORITY_VOTE;
      case MEAN_LOG_PROB -> CombinationRule.MEAN_LOG_PROB;
      default -> throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, field, "unknown combination rule " + r
          + "; use MAJORITY_VOTE or MEAN_LOG_PROB");
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

  private Served fromRegistry(VersionSelector sel, String field) {
    VersionSelector s = normalize(sel, field);
    String id = switch (s.getSelectorCase()) {
      case VERSION_ID -> s.getVersionId();
      case NUMBERED -> numberedIds.get(s.getNumbered().getPromptName() + ":" + s.getNumbered().getNumber());
      default -> lookup(s, true, field).getId(); // name@environment: the alias moves, ask every time
    };
    if (id != null) {
      SoftPrompt hit = cache.get(id);
      if (hit != null) {
        return Served.single(hit);
      }
      Served ensemble = cachedEnsemble(id);
      if (ensemble != null) {
        return ensemble;
      }
    }
    PromptVersion v = lookup(id != null ? VersionSelector.newBuilder().setVersionId(id).build() : s, false, field);
    checkCompatible(v, field);
    numberedIds.put(v.getPromptName() + ":" + v.getNumber(), v.getId());
    if (v.getKind() == VersionKind.ENSEMBLE) {
      return fromEnsembleVersion(v, field);
    }
    SoftPrompt p = fromTensor(v.getTensor(), field + " (" + describe(v) + ")");
    cache.put(v.getId(), p);
    return Served.single(p);
  }

  private Served cachedEnsemble(String id) {
    EnsembleEntry e = ensembles.get(id);
    if (e == null) {
      return null;
    }
    List<SoftPrompt> members = new ArrayList<>(e.memberIds().size());
    for (String m : e.memberIds()) {
      SoftPrompt p = cache.get(m);
      if (p == null) {
        return null; // a member fell out of the cache: fetch the ensemble again
      }
      members.add(p);
    }
    return new Served(List.copyOf(members), e.rule());
  }

  /** An ENSEMBLE version: its members' tensors come inline in the GetVersion answer (fetched by id if not). */
  private Served fromEnsembleVersion(PromptVersion v, String field) {
    List<SoftPrompt> members = new ArrayList<>(v.getEnsemble().getMembersCount());
    List<String> ids = new ArrayList<>(members.size());
    for (int i = 0; i < v.getEnsemble().getMembersCount(); i++) {
      EnsembleMember m = v.getEnsemble().getMembers(i);
      String where = field + " (" + describe(v) + " member " + i + ", " + m.getPromptName() + ":" + m.getNumber() + ")";
      SoftPrompt p;
      if (m.hasTensor()) {
        p = fromTensor(m.getTensor(), where); // checks the width against this model's d_model
        cache.put(m.getVersionId(), p);
      } else {
        Served one = fromRegistry(VersionSelector.newBuilder().setVersionId(m.getVersionId()).build(), where);
        if (one.isEnsemble()) {
          throw new ServiceException(ErrorReason.ENSEMBLE_NOT_SUPPORTED, where + ": is itself an ensemble; "
              + "ensembles do not nest", Map.of("field", field));
        }
        p = one.members().get(0);
      }
      members.add(p);
      ids.add(m.getVersionId());
    }
    if (members.isEmpty()) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, field, describe(v) + " is an ensemble without members");
    }
    CombinationRule rule = ruleOf(v.getEnsemble().getRule(), field + " (" + describe(v) + ").ensemble.rule");
    ensembles.put(v.getId(), new EnsembleEntry(rule, List.copyOf(ids)));
    return new Served(List.copyOf(members), rule);
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
