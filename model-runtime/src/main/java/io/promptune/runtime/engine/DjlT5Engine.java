package io.promptune.runtime.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.promptune.runtime.load.T5Checkpoint;
import io.promptune.runtime.load.T5Config;
import io.promptune.runtime.model.DjlEnvironment;
import io.promptune.runtime.model.EncoderInputs;
import io.promptune.runtime.model.EncoderOutput;
import io.promptune.runtime.model.Ops;
import io.promptune.runtime.model.T5Model;
import io.promptune.runtime.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link T5Engine} on DJL's PyTorch engine (CPU natives from the classpath, offline).
 *
 * <p>Load with {@link #load(Path, EngineOptions)}. Weights live in one long-lived manager; every call runs in
 * its own sub-manager that is closed before the call returns, so native memory does not accumulate. Calls are
 * serialised by a fair lock: each already uses every core through PyTorch's intra-op threads, and DJL allows only
 * one gradient collector at a time.
 *
 * <p>Only the prompts are ever attached to autograd, so backward computes no weight gradients. Inference calls
 * run with PyTorch's grad mode off.
 */
public final class DjlT5Engine implements T5Engine {

  private static final System.Logger LOG = System.getLogger(DjlT5Engine.class.getName());

  /**
   * Why bfloat16 weights are refused before anything native is touched: DJL 0.35's PyTorch JNI maps only
   * float32/float64/float16/uint8/int32/int8/int64/bool to torch dtypes; any call naming bfloat16 (creating,
   * casting) hits a bare {@code throw;} there and aborts the whole JVM.
   */
  static final String BFLOAT16_UNSUPPORTED = "weights dtype bfloat16 is not supported: DJL 0.35's PyTorch JNI "
      + "cannot create or cast to bfloat16 tensors (it aborts the process); use float16 (GPU) or float32";

  /** Upper bound on logits materialised at once by {@link #score} (elements); larger calls are chunked. */
  static final long SCORE_LOGITS_BUDGET = 32L * 1024 * 1024;

  private final Engine engine;
  private final NDManager root;
  private final NDManager weights;
  private final T5Model model;
  private final T5Config config;
  private final ModelSpec spec;
  private final TextTokenizer tokenizer;
  private final String fingerprint;
  private final String modelId;
  private final DataType dtype;
  private final RequestValidator validator;
  private final GreedySearch greedySearch;
  private final BeamSearch beamSearch;
  private final ReentrantLock lock = new ReentrantLock(true);
  private volatile boolean closed;

  private DjlT5Engine(Engine engine, NDManager root, NDManager weights, T5Model model, TextTokenizer tokenizer,
      String fingerprint, String modelId) {
    this.engine = engine;
    this.root = root;
    this.weights = weights;
    this.model = model;
    this.config = model.config();
    this.spec = config.toSpec();
    this.tokenizer = tokenizer;
    this.fingerprint = fingerprint;
    this.modelId = modelId;
    this.dtype = model.dtype();
    this.validator = new RequestValidator(config);
    this.greedySearch = new GreedySearch(model);
    this.beamSearch = new BeamSearch(model);
  }

  /**
   * Loads a Hugging Face T5 checkpoint directory: config.json, model.safetensors (or a sharded index) and the
   * tokenizer (see {@link EngineOptions#tokenizerPath()}).
   */
  public static DjlT5Engine load(Path checkpointDir, EngineOptions options) throws IOException {
    EngineOptions o = options == null ? EngineOptions.defaults() : options;
    T5Checkpoint ckpt = T5Checkpoint.load(checkpointDir);
    TextTokenizer tok = Tokenizers.forCheckpoint(checkpointDir, ckpt.config(), o.tokenizerPath());
    String id = o.modelId() != null ? o.modelId()
        : ckpt.config().modelIdHint() != null ? ckpt.config().modelIdHint() : checkpointDir.toString();
    return fromCheckpoint(ckpt, tok, o.withModelId(id));
  }

  /** Builds an engine from an already loaded checkpoint and tokenizer. */
  public static DjlT5Engine fromCheckpoint(T5Checkpoint ckpt, TextTokenizer tokenizer, EngineOptions options) {
    EngineOptions o = options == null ? EngineOptions.defaults() : options;
    Engine engine = DjlEnvironment.pytorch(o.intraOpThreads(), o.interOpThreads());
    Device device = Device.fromName(o.device(), engine);
    if (!Device.Type.CPU.equals(device.getDeviceType()) && engine.getGpuCount() == 0) {
      throw new IllegalArgumentException("device '" + o.device() + "' requested but the PyTorch natives on the "
          + "classpath are CPU-only (no GPU visible)");
    }
    if (o.precision() == EngineOptions.Precision.BFLOAT16) {
      throw new IllegalArgumentException(BFLOAT16_UNSUPPORTED);
    }
    DataType dt = o.precision() == EngineOptions.Precision.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    DataType wdt = switch (o.precision()) {
      case BFLOAT16 -> DataType.BFLOAT16;
      case FLOAT16 -> DataType.FLOAT16;
      default -> dt;
    };
    NDManager root = engine.newBaseManager(device);
    try {
      if (wdt != dt) {
        probeHalfWeights(root, wdt, o.precision(), device);
      }
      NDManager weights = root.newSubManager();
      T5Model model = T5Model.load(ckpt, weights, dt, wdt);
      String id = o.modelId() != null ? o.modelId()
          : ckpt.config().modelIdHint() != null ? ckpt.config().modelIdHint() : String.valueOf(ckpt.dir());
      LOG.log(System.Logger.Level.INFO, "loaded T5 {0} ({1}, d_model {2}, {3}+{4} layers, vocab {5}) on {6} in {7};"
              + " intra-op threads {8}, inter-op threads {9}; weights sha256 {10}", id, ckpt.config().architecture(),
          ckpt.config().dModel(), ckpt.config().numLayers(), ckpt.config().numDecoderLayers(),
          ckpt.config().vocabSize(), device, wdt == dt ? dt : dt + " (weights " + wdt + ")", DjlEnvironment.intraOpThreads(), DjlEnvironment.interOpThreads(),
          ckpt.fingerprint());
      return new DjlT5Engine(engine, root, weights, model, tokenizer, ckpt.fingerprint(), id);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /**
   * Fails at load, with a message saying what to do, when this device's PyTorch kernels cannot run a projection
   * (forward, and the matmul its backward to the input does) with {@code wdt} weights; e.g. float16 matmul on
   * some CPU builds.
   */
  private static void probeHalfWeights(NDManager root, DataType wdt, EngineOptions.Precision precision,
      Device device) {
    try (NDManager m = root.newSubManager()) {
      NDArray x = m.create(new float[] {0.5f, -1f, 2f, 0.25f, 1f, -0.5f}, new Shape(1, 2, 3));
      NDArray w = m.create(new float[] {1f, 2f, 3f, -1f, 0.5f, 0.25f}, new Shape(2, 3)).toType(wdt, false);
      NDArray y = Ops.linear(x, w); // forward: cast, half matmul, cast back
      NDArray back = y.toType(wdt, false).matMul(w); // the matmul backward does for the input's gradient
      for (float v : Ops.toFloats(back)) {
        if (!Float.isFinite(v)) {
          throw new IllegalStateException("non-finite result " + v);
        }
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("weights dtype " + precision.label() + " is not supported on device "
          + device + " by these PyTorch natives (" + e.getMessage() + "); use float32"
          + (precision == EngineOptions.Precision.FLOAT16 ? " or bfloat16" : "") + " there, or run on a GPU", e);
    }
  }

  /** The dtype the weight matrices are held in (FLOAT32, FLOAT64, BFLOAT16 or FLOAT16). */
  public DataType weightDtype() {
    return model.weightDtype();
  }

  /** Number of weight arrays held in each dtype (half-precision weights keep norms and bias tables in float32). */
  public java.util.Map<DataType, Integer> weightArraysByDtype() {
    java.util.Map<DataType, Integer> out = new java.util.EnumMap<>(DataType.class);
    for (NDArray a : weights.getManagedArrays()) {
      out.merge(a.getDataType(), 1, Integer::sum);
    }
    return out;
  }

  /** The model (tests inspect its weights). */
  T5Model model() {
    return model;
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public String fingerprint() {
    return fingerprint;
  }

  @Override
  public String modelId() {
    return modelId;
  }

  @Override
  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** The loaded configuration. */
  public T5Config config() {
    return config;
  }

  /** Weight arrays that require a gradient: always 0 (frozen model; only prompts are attached to autograd). */
  public int weightsRequiringGradient() {
    int n = 0;
    for (NDArray a : weights.getManagedArrays()) {
      if (a.hasGradient()) {
        n++;
      }
    }
    return n;
  }

  /** Native arrays currently owned by this engine (weights + any live call); for leak checks. */
  public int liveArrayCount() {
    return root.getManagedArrays().size();
  }

  // ------------------------------------------------------------------------------------------ forward / backward

  @Override
  public ForwardBackwardResult forwardBackward(List<SoftPrompt> prompts, List<Example> examples, float[] lossWeights,
      boolean computeGradients) {
    return run(prompts, examples, lossWeights, computeGradients, false).result();
  }

  /** {@link #forwardBackward} that also returns hidden states and logits (diagnostics, golden tests). */
  public ForwardTrace forwardTrace(List<SoftPrompt> prompts, List<Example> examples, float[] lossWeights,
      boolean computeGradients) {
    return run(prompts, examples, lossWeights, computeGradients, true);
  }

  private ForwardTrace run(List<SoftPrompt> prompts, List<Example> examples, float[] lossWeights,
      boolean computeGradients, boolean trace) {
    RequestValidator.TeacherForcedBatch batch = validator.examples(prompts, examples, lossWeights);
    int b = examples.size();
    int[][] inputs = batch.rows().inputIds();
    int[][] targets = batch.targets();
    int[] promptIndex = batch.rows().promptIndex();
    int numTokens = batch.numTokens();
    double[] w = new double[b];
    for (int e = 0; e < b; e++) {
      w[e] = lossWeights != null ? lossWeights[e] : numTokens == 0 ? 0.0 : 1.0 / numTokens;
    }
    int t = 1;
    for (int[] tg : targets) {
      t = Math.max(t, tg.length);
    }
    lock.lock();
    try (NDManager m = callManager()) {
      boolean[] used = usedPrompts(promptIndex, prompts.size());
      List<NDArray> p = promptArrays(m, prompts, used);
      boolean grads = computeGradients && anyTrue(used);
      if (grads) {
        for (NDArray a : p) {
          if (a != null) {
            a.setRequiresGradient(true);
          }
        }
      } else {
        JniUtils.setGradMode(false);
      }
      GradientCollector gc = grads ? engine.newGradientCollector() : null;
      try {
        List<NDArray> encHidden = trace ? new ArrayList<>() : null;
        List<NDArray> decHidden = trace ? new ArrayList<>() : null;
        EncoderInputs in = EncoderInputs.build(model, m, p, inputs, promptIndex);
        EncoderOutput enc = model.encode(in.embeds(), in.additiveMask(), encHidden);
        NDList[] cross = model.crossKeyValues(enc);

        long[] decIds = new long[b * t];
        long[] labels = new long[b * t];
        double[] weightMat = new double[b * t];
        double[] valid = new double[b * t];
        for (int e = 0; e < b; e++) {
          int[] tg = targets[e];
          for (int j = 0; j < t; j++) {
            int at = e * t + j;
            decIds[at] = j == 0 ? config.decoderStartTokenId() : j - 1 < tg.length ? tg[j - 1] : config.padTokenId();
            if (j < tg.length) {
              labels[at] = tg[j];
              weightMat[at] = w[e];
              valid[at] = 1.0;
            }
          }
        }
        NDArray hidden = model.decode(m.create(decIds, new Shape(b, t)), enc, cross, 1, decHidden);
        NDArray logits = model.logits(hidden); // [B, T, V]
        NDArray nll = logits.logSoftmax(-1).gather(m.create(labels, new Shape(b, t, 1)), 2).reshape(b, t).neg();
        NDArray objective = nll.mul(Ops.doubles(m, weightMat, new Shape(b, t), dtype)).sum();
        double[] exampleSum = Ops.toDoubles(nll.mul(Ops.doubles(m, valid, new Shape(b, t), dtype)).sum(new int[] {1}));
        float loss = (float) Ops.toDoubles(objective)[0];
        List<float[]> gradients = null;
        if (computeGradients) {
          if (grads) {
            gc.backward(objective);
          }
          gradients = new ArrayList<>();
          for (int i = 0; i < prompts.size(); i++) {
            SoftPrompt sp = prompts.get(i);
            gradients.add(p.get(i) == null ? new float[sp.values().length] : Ops.toFloats(p.get(i).getGradient()));
          }
        }
        int[] exampleTokens = new int[b];
        for (int e = 0; e < b; e++) {
          exampleTokens[e] = targets[e].length;
        }
        ForwardBackwardResult result = new ForwardBackwardResult(loss, numTokens, exampleSum, exampleTokens,
            gradients == null ? null : List.copyOf(gradients));
        if (!trace) {
          return new ForwardTrace(result, in.maxLength(), t, in.lengths(), null, null, null);
        }
        List<float[]> eh = new ArrayList<>();
        for (NDArray a : encHidden) {
          eh.add(Ops.toFloats(a));
        }
        List<float[]> dh = new ArrayList<>();
        for (NDArray a : decHidden) {
          dh.add(Ops.toFloats(a));
        }
        return new ForwardTrace(result, in.maxLength(), t, in.lengths(), List.copyOf(eh), List.copyOf(dh),
            Ops.toFloats(logits));
      } finally {
        if (gc != null) {
          gc.close();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  // -------------------------------------------------------------------------------------------------- scoring

  @Override
  public List<CandidateScores> score(List<SoftPrompt> prompts, List<ScoreQuery> queries) {
    RequestValidator.ScoreBatch batch = validator.scoreQueries(prompts, queries);
    int q = queries.size();
    int[][] inputs = batch.rows().inputIds();
    int[] promptIndex = batch.rows().promptIndex();
    List<List<int[]>> cands = batch.candidates();
    int maxT = 1;
    for (List<int[]> c : cands) {
      for (int[] ids : c) {
        maxT = Math.max(maxT, ids.length);
      }
    }
    double[][] sums = new double[q][];
    int[][] counts = new int[q][];
    for (int i = 0; i < q; i++) {
      sums[i] = new double[cands.get(i).size()];
      counts[i] = new int[cands.get(i).size()];
      for (int c = 0; c < cands.get(i).size(); c++) {
        counts[i][c] = cands.get(i).get(c).length;
      }
    }
    // chunks of queries (with candidates) whose logits fit the budget
    long rowBudget = Math.max(1, SCORE_LOGITS_BUDGET / ((long) maxT * config.vocabSize()));
    List<Integer> chunk = new ArrayList<>();
    long rows = 0;
    lock.lock();
    try {
      for (int i = 0; i < q; i++) {
        if (cands.get(i).isEmpty()) {
          continue;
        }
        if (!chunk.isEmpty() && rows + cands.get(i).size() > rowBudget) {
          scoreChunk(prompts, chunk, inputs, promptIndex, cands, sums);
          chunk.clear();
          rows = 0;
        }
        chunk.add(i);
        rows += cands.get(i).size();
      }
      if (!chunk.isEmpty()) {
        scoreChunk(prompts, chunk, inputs, promptIndex, cands, sums);
      }
    } finally {
      lock.unlock();
    }
    List<CandidateScores> out = new ArrayList<>(q);
    for (int i = 0; i < q; i++) {
      out.add(new CandidateScores(sums[i], counts[i]));
    }
    return List.copyOf(out);
  }

  private void scoreChunk(List<SoftPrompt> prompts, List<Integer> chunk, int[][] inputs, int[] promptIndex,
      List<List<int[]>> cands, double[][] sums) {
    int e = chunk.size();
    int[][] in = new int[e][];
    int[] pi = new int[e];
    int groups = cands.get(chunk.get(0)).size();
    int n = 0;
    int t = 1;
    for (int k = 0; k < e; k++) {
      int qi = chunk.get(k);
      in[k] = inputs[qi];
      pi[k] = promptIndex[qi];
      if (cands.get(qi).size() != groups) {
        groups = -1;
      }
      n += cands.get(qi).size();
      for (int[] c : cands.get(qi)) {
        t = Math.max(t, c.length);
      }
    }
    try (NDManager m = callManager()) {
      JniUtils.setGradMode(false);
      List<NDArray> p = promptArrays(m, prompts, usedPrompts(pi, prompts.size()));
      EncoderInputs ei = EncoderInputs.build(model, m, p, in, pi);
      EncoderOutput enc = model.encode(ei.embeds(), ei.additiveMask(), null);
      NDList[] cross = model.crossKeyValues(enc);
      int g = groups;
      if (groups < 0) { // uneven candidate counts: one encoder row per candidate row
        long[] rowOf = new long[n];
        int r = 0;
        for (int k = 0; k < e; k++) {
          for (int c = 0; c < cands.get(chunk.get(k)).size(); c++) {
            rowOf[r++] = k;
          }
        }
        NDArray idx = m.create(rowOf);
        for (NDList kv : cross) {
          NDArray k0 = gatherRows(idx, kv.get(0));
          NDArray v0 = gatherRows(idx, kv.get(1));
          kv.set(0, k0);
          kv.set(1, v0);
        }
        enc = new EncoderOutput(null, gatherRows(idx, enc.additiveMask()));
        g = 1;
      }
      long[] decIds = new long[n * t];
      long[] labels = new long[n * t];
      double[] valid = new double[n * t];
      int r = 0;
      for (int qi : chunk) {
        for (int[] c : cands.get(qi)) {
          for (int j = 0; j < t; j++) {
            int at = r * t + j;
            decIds[at] = j == 0 ? config.decoderStartTokenId() : j - 1 < c.length ? c[j - 1] : config.padTokenId();
            if (j < c.length) {
              labels[at] = c[j];
              valid[at] = 1.0;
            }
          }
          r++;
        }
      }
      NDArray hidden = model.decode(m.create(decIds, new Shape(n, t)), enc, cross, g, null);
      NDArray logp = model.logits(hidden).logSoftmax(-1).gather(m.create(labels, new Shape(n, t, 1)), 2)
          .reshape(n, t);
      double[] rowSum = Ops.toDoubles(logp.mul(Ops.doubles(m, valid, new Shape(n, t), dtype)).sum(new int[] {1}));
      r = 0;
      for (int qi : chunk) {
        for (int c = 0; c < cands.get(qi).size(); c++) {
          sums[qi][c] = rowSum[r++];
        }
      }
    }
  }

  private static NDArray gatherRows(NDArray idx, NDArray a) {
    return Ops.gatherRows(idx, a);
  }

  // ----------------------------------------------------------------------------------------------- generation

  @Override
  public List<GenerationResult> generate(List<SoftPrompt> prompts, List<GenerateQuery> queries, int maxNewTokens,
      int numBeams, float lengthPenalty) {
    return generate(prompts, queries, maxNewTokens, numBeams, lengthPenalty, null);
  }

  /** {@link #generate} with an observer of greedy steps' logits (ignored by beam search); for the golden tests. */
  List<GenerationResult> generate(List<SoftPrompt> prompts, List<GenerateQuery> queries, int maxNewTokens,
      int numBeams, float lengthPenalty, StepObserver observer) {
    RequestValidator.EncoderRows rows = validator.generateQueries(prompts, queries, maxNewTokens, lengthPenalty);
    int q = queries.size();
    if (q == 0) {
      return List.of();
    }
    if (maxNewTokens == 0) {
      List<GenerationResult> empty = new ArrayList<>();
      for (int i = 0; i < q; i++) {
        empty.add(new GenerationResult(new int[0], 0.0, false));
      }
      return List.copyOf(empty);
    }
    lock.lock();
    try (NDManager m = callManager()) {
      JniUtils.setGradMode(false);
      List<NDArray> p = promptArrays(m, prompts, usedPrompts(rows.promptIndex(), prompts.size()));
      EncoderInputs ei = EncoderInputs.build(model, m, p, rows.inputIds(), rows.promptIndex());
      EncoderOutput enc = model.encode(ei.embeds(), ei.additiveMask(), null);
      return numBeams <= 1 ? greedySearch.decode(m, enc, q, maxNewTokens, observer)
          : beamSearch.decode(m, enc, q, maxNewTokens, numBeams, lengthPenalty);
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------------------------------- embeddings

  @Override
  public List<List<NearestToken>> nearestTokens(SoftPrompt prompt, int k) {
    int limit = Math.min(config.vocabSize(), tokenizer.vocabSize());
    validator.nearestTokens(prompt, k, limit);
    lock.lock();
    try (NDManager m = callManager()) {
      JniUtils.setGradMode(false);
      NDArray p = Ops.floats(m, prompt.values(), new Shape(prompt.length(), prompt.dModel()), dtype);
      NDArray pn = p.div(p.norm(new int[] {1}, true).maximum(1e-8)); // [n, d]
      NDArray cos = Ops.linear(pn, model.sharedEmbedding()).div(model.sharedRowNorms()); // [n, V]
      if (limit < config.vocabSize()) {
        cos = cos.get(":, :" + limit);
      }
      NDList top = cos.topK(k, 1, true, true);
      float[] val = Ops.toFloats(top.get(0));
      long[] idx = top.get(1).toLongArray();
      List<List<NearestToken>> out = new ArrayList<>();
      for (int r = 0; r < prompt.length(); r++) {
        List<NearestToken> row = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
          row.add(new NearestToken((int) idx[r * k + j], val[r * k + j]));
        }
        out.add(List.copyOf(row));
      }
      return List.copyOf(out);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public float[] embed(int[] ids) {
    int[] checked = validator.ids(ids, "ids");
    if (checked.length == 0) {
      return new float[0];
    }
    lock.lock();
    try (NDManager m = callManager()) {
      JniUtils.setGradMode(false);
      long[] l = Arrays.stream(checked).asLongStream().toArray();
      return Ops.toFloats(model.embed(m.create(l)));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      root.close();
      if (tokenizer instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          LOG.log(System.Logger.Level.WARNING, "closing tokenizer failed", e);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private NDManager callManager() {
    if (closed) {
      throw new IllegalStateException("engine is closed");
    }
    return root.newSubManager();
  }

  private static boolean[] usedPrompts(int[] promptIndex, int n) {
    boolean[] used = new boolean[n];
    for (int i : promptIndex) {
      if (i >= 0) {
        used[i] = true;
      }
    }
    return used;
  }

  private static boolean anyTrue(boolean[] a) {
    for (boolean b : a) {
      if (b) {
        return true;
      }
    }
    return false;
  }

  private List<NDArray> promptArrays(NDManager m, List<SoftPrompt> prompts, boolean[] used) {
    List<NDArray> out = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      SoftPrompt sp = prompts.get(i);
      out.add(used[i] ? Ops.floats(m, sp.values(), new Shape(sp.length(), sp.dModel()), dtype) : null);
    }
    return out;
  }
}
