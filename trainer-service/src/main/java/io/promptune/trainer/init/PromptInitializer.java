package io.promptune.trainer.init;

import io.promptune.api.CallerIdentity;
import io.promptune.api.Tensors;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.loop.Rng;
import java.util.List;

/**
 * The five ways to start P (Lester et al. 2021, section 3.2), all deterministic given the job seed:
 *
 * <ul>
 *   <li>random uniform in [-range, range];</li>
 *   <li>sampled vocabulary: rows copied from the input embeddings of the top_k most frequent tokens. SentencePiece
 *       ids are ordered by frequency after the specials (0 pad, 1 eos, 2 unk), so the pool is ids 3 .. 3+top_k-1
 *       (capped at the vocabulary). Drawn without replacement while the pool lasts;</li>
 *   <li>class labels: row i is the mean of the token embeddings of label i (multi-token labels averaged); the
 *       remaining rows are sampled vocabulary;</li>
 *   <li>text: the embeddings of the text's tokens, repeated or cut to the prompt length;</li>
 *   <li>from a registry version: its rows (cut, or topped up with sampled vocabulary when it is shorter).</li>
 * </ul>
 */
public final class PromptInitializer {

  /** Ids 0..2 are pad, eos and unk in every T5 SentencePiece vocabulary. */
  public static final int FIRST_REGULAR_TOKEN = 3;
  public static final int DEFAULT_TOP_K = 5000;
  public static final float DEFAULT_RANGE = 0.5f;

  private final RuntimeClient runtime;
  private final RegistryClient registry;
  private final CallerIdentity caller;

  public PromptInitializer(RuntimeClient runtime, RegistryClient registry, CallerIdentity caller) {
    this.runtime = runtime;
    this.registry = registry;
    this.caller = caller;
  }

  /**
   * @param init    the (defaults-filled) init of the job
   * @param labels  the task's label texts (class-label init)
   * @param vocabSize the runtime's vocabulary size
   */
  public InitializedPrompt initialize(PromptInit init, int length, int dModel, int vocabSize, List<String> labels,
      long seed) {
    Rng rng = Rng.forStream(seed, Rng.STREAM_INIT);
    return switch (init.getMethodCase()) {
      case RANDOM_UNIFORM -> {
        float range = init.getRandomUniform().getRange() == 0 ? DEFAULT_RANGE : init.getRandomUniform().getRange();
        yield new InitializedPrompt(randomUniform(length * dModel, range, rng), length, dModel,
            InitMethod.RANDOM_UNIFORM, "", "");
      }
      case SAMPLED_VOCAB -> {
        int topK = topK(init.getSampledVocab().getTopK());
        float[] p = new float[length * dModel];
        fillSampled(p, 0, length, dModel, vocabSize, topK, rng);
        yield new InitializedPrompt(p, length, dModel, InitMethod.SAMPLED_VOCAB, "", "");
      }
      case CLASS_LABELS -> new InitializedPrompt(classLabels(length, dModel, vocabSize, labels, rng), length, dModel,
          InitMethod.CLASS_LABELS, "", "");
      case TEXT -> new InitializedPrompt(text(init.getText().getText(), length, dModel), length, dModel,
          InitMethod.TEXT, "", "");
      case FROM_VERSION -> fromVersion(init, length, dModel, vocabSize, rng);
      case METHOD_NOT_SET -> throw new IllegalArgumentException("init method not set");
    };
  }

  static int topK(int requested) {
    return requested == 0 ? DEFAULT_TOP_K : requested;
  }

  static float[] randomUniform(int n, float range, Rng rng) {
    float[] p = new float[n];
    for (int i = 0; i < n; i++) {
      p[i] = (rng.nextFloat() * 2f - 1f) * range;
    }
    return p;
  }

  /** The token ids that sampled-vocabulary init draws for {@code rows} rows. */
  public static int[] sampleIds(int rows, int vocabSize, int topK, Rng rng) {
    int end = (int) Math.min((long) FIRST_REGULAR_TOKEN + topK, vocabSize);
    int pool = end - FIRST_REGULAR_TOKEN;
    if (pool <= 0) {
      throw new IllegalArgumentException("vocabulary of " + vocabSize + " has no regular tokens to sample");
    }
    int[] ids = new int[rows];
    if (rows <= pool) {
      // Partial Fisher–Yates over the pool: distinct ids.
      int[] candidates = new int[pool];
      for (int i = 0; i < pool; i++) {
        candidates[i] = FIRST_REGULAR_TOKEN + i;
      }
      for (int i = 0; i < rows; i++) {
        int j = i + rng.nextInt(pool - i);
        int t = candidates[i];
        candidates[i] = candidates[j];
        candidates[j] = t;
        ids[i] = candidates[i];
      }
    } else {
      for (int i = 0; i < rows; i++) {
        ids[i] = FIRST_REGULAR_TOKEN + rng.nextInt(pool);
      }
    }
    return ids;
  }

  private void fillSampled(float[] p, int fromRow, int toRow, int dModel, int vocabSize, int topK, Rng rng) {
    int rows = toRow - fromRow;
    if (rows <= 0) {
      return;
    }
    float[] emb = embed(sampleIds(rows, vocabSize, topK, rng), dModel);
    System.arraycopy(emb, 0, p, fromRow * dModel, rows * dModel);
  }

  private float[] classLabels(int length, int dModel, int vocabSize, List<String> labels, Rng rng) {
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("class-label init needs a task with labels");
    }
    float[] p = new float[length * dModel];
    int n = Math.min(labels.size(), length);
    var tokenized = runtime.tokenize(TokenizeRequest.newBuilder().addAllTexts(labels.subList(0, n)).build());
    for (int i = 0; i < n; i++) {
      List<Integer> ids = tokenized.getTexts(i).getIdsList();
      if (ids.isEmpty()) {
        throw new IllegalArgumentException("label \"" + labels.get(i) + "\" has no tokens");
      }
      float[] emb = embed(ids.stream().mapToInt(Integer::intValue).toArray(), dModel);
      for (int d = 0; d < dModel; d++) {
        double sum = 0;
        for (int t = 0; t < ids.size(); t++) {
          sum += emb[t * dModel + d];
        }
        p[i * dModel + d] = (float) (sum / ids.size());
      }
    }
    fillSampled(p, n, length, dModel, vocabSize, DEFAULT_TOP_K, rng);
    return p;
  }

  private float[] text(String text, int length, int dModel) {
    var tokenized = runtime.tokenize(TokenizeRequest.newBuilder().addTexts(text).build());
    List<Integer> ids = tokenized.getTexts(0).getIdsList();
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("init text has no tokens");
    }
    int[] rowIds = new int[length];
    for (int i = 0; i < length; i++) {
      rowIds[i] = ids.get(i % ids.size());
    }
    return embed(rowIds, dModel);
  }

  private InitializedPrompt fromVersion(PromptInit init, int length, int dModel, int vocabSize, Rng rng) {
    PromptVersion v = registry.getVersion(
        GetVersionRequest.newBuilder().setVersion(init.getFromVersion().getVersion()).build(), caller);
    float[] src = Tensors.toFloats(v.getTensor(), "registry version " + v.getId());
    long[] shape = v.getTensor().getShapeList().stream().mapToLong(Long::longValue).toArray();
    if (shape.length != 2 || shape[1] != dModel) {
      throw new IllegalArgumentException("version " + v.getId() + " has shape " + v.getTensor().getShapeList()
          + ", the model needs width " + dModel);
    }
    int srcRows = (int) shape[0];
    float[] p = new float[length * dModel];
    int copy = Math.min(srcRows, length);
    System.arraycopy(src, 0, p, 0, copy * dModel);
    fillSampled(p, copy, length, dModel, vocabSize, DEFAULT_TOP_K, rng);
    return new InitializedPrompt(p, length, dModel, InitMethod.FROM_VERSION, v.getId(), v.getPromptName());
  }

  private float[] embed(int[] ids, int dModel) {
    var req = EmbedTokensRequest.newBuilder();
    for (int id : ids) {
      req.addIds(id);
    }
    float[] emb = Tensors.toFloats(runtime.embedTokens(req.build()).getEmbeddings(), "EmbedTokens answer");
    if (emb.length != ids.length * dModel) {
      throw new IllegalStateException("EmbedTokens returned " + emb.length + " values for " + ids.length + " ids");
    }
    return emb;
  }
}
