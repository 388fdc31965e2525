package io.promptune.runtime.service;

import io.promptune.api.Tensors;
import io.promptune.api.v1.CandidateScore;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.EmbedTokensResponse;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.ExampleLoss;
import io.promptune.api.v1.ExampleScores;
import io.promptune.api.v1.FinishReason;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.Generation;
import io.promptune.api.v1.MemberScores;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.NearestTokenRow;
import io.promptune.api.v1.NearestTokensRequest;
import io.promptune.api.v1.NearestTokensResponse;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TokenSimilarity;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;
import io.promptune.api.v1.TokenizedText;
import io.promptune.api.v1.TrainingExample;
import io.promptune.runtime.batching.BatchingEngine;
import io.promptune.runtime.batching.FbOutcome;
import io.promptune.runtime.engine.CandidateScores;
import io.promptune.runtime.engine.Example;
import io.promptune.runtime.engine.GenerateQuery;
import io.promptune.runtime.engine.GenerationResult;
import io.promptune.runtime.engine.ModelSpec;
import io.promptune.runtime.engine.NearestToken;
import io.promptune.runtime.engine.ScoreQuery;
import io.promptune.runtime.engine.SoftPrompt;
import io.promptune.runtime.engine.T5Engine;
import io.promptune.runtime.engine.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The runtime's RPCs on the loaded model: request validation (shapes, ids, lengths, budgets; every error names
 * the field and says what to fix), prompt resolution, and the engine calls (batched across callers).
 */
public final class RuntimeService implements AutoCloseable {

  public static final int DEFAULT_MAX_NEW_TOKENS = 32;
  public static final int DEFAULT_K = 5;
  public static final int MAX_K = 100;
  public static final int MAX_EMBED_IDS = 65536;
  public static final int MAX_TOKENIZE_TEXTS = 65536;

  private final T5Engine engine;
  private final BatchingEngine batching;
  private final PromptResolver prompts;
  private final InputEncoder encoder;
  private final Limits limits;
  private final ModelSpec spec;
  private final TextTokenizer tokenizer;
  private final String device;
  private final String weightsDtype;

  public RuntimeService(BatchingEngine batching, PromptResolver prompts, Limits limits, String device) {
    this(batching, prompts, limits, device, "float32");
  }

  /** @param weightsDtype ModelInfo.weights_dtype: "float32", "bfloat16" or "float16" */
  public RuntimeService(BatchingEngine batching, PromptResolver prompts, Limits limits, String device,
      String weightsDtype) {
    this.engine = batching.engine();
    this.batching = batching;
    this.prompts = prompts;
    this.limits = limits;
    this.spec = engine.spec();
    this.tokenizer = engine.tokenizer();
    this.encoder = new InputEncoder(tokenizer, spec, limits);
    this.device = device;
    this.weightsDtype = weightsDtype;
  }

  public T5Engine engine() {
    return engine;
  }

  public BatchingEngine batching() {
    return batching;
  }

  public PromptResolver prompts() {
    return prompts;
  }

  public ModelInfo modelInfo() {
    return ModelInfo.newBuilder()
        .setModelId(engine.modelId())
        .setFingerprint(engine.fingerprint())
        .setTokenizerFingerprint(tokenizer.fingerprint())
        .setArchitecture(spec.gatedGelu() ? "t5-v1_1" : "t5-v1_0")
        .setDModel(spec.dModel()).setDKv(spec.dKv()).setDFf(spec.dFf()).setNumHeads(spec.numHeads())
        .setNumLayers(spec.numLayers()).setNumDecoderLayers(spec.numDecoderLayers()).setVocabSize(spec.vocabSize())
        .setPadTokenId(spec.padTokenId()).setEosTokenId(spec.eosTokenId())
        .setDecoderStartTokenId(spec.decoderStartTokenId())
        .setMaxInputTokens(limits.maxInputTokens()).setMaxTargetTokens(limits.maxTargetTokens())
        .setMaxPromptLength(limits.maxPromptLength()).setMaxBatchExamples(limits.maxBatchExamples())
        .setDevice(device).setWeightsDtype(weightsDtype)
        .build();
  }

  public TokenizeResponse tokenize(TokenizeRequest r) {
    if (r.getTextsCount() == 0) {
      throw Errors.invalid(ErrorReason.EMPTY_INPUT, "texts", "no texts given");
    }
    if (r.getTextsCount() > MAX_TOKENIZE_TEXTS) {
      throw Errors.tooLarge("texts", r.getTextsCount() + " texts is over the limit of " + MAX_TOKENIZE_TEXTS
          + " per request; split the request");
    }
    TokenizeResponse.Builder out = TokenizeResponse.newBuilder();
    for (String text : r.getTextsList()) {
      TextTokenizer.Encoding e = tokenizer.encode(text, r.getAddEos());
      TokenizedText.Builder t = TokenizedText.newBuilder().addAllPieces(e.pieces());
      for (int id : e.ids()) {
        t.addIds(id);
      }
      out.addTexts(t);
    }
    return out.build();
  }

  public ForwardBackwardResponse forwardBackward(ForwardBackwardRequest r) {
    checkFingerprint(r.getExpectedModelFingerprint());
    checkCount(r.getExamplesCount(), "examples");
    List<SoftPrompt> ps = prompts.resolveAll(r.getPromptsList(), "prompts");
    Budget budget = new Budget("examples");
    List<Example> examples = new ArrayList<>(r.getExamplesCount());
    boolean[] truncated = new boolean[r.getExamplesCount()];
    for (int i = 0; i < r.getExamplesCount(); i++) {
      TrainingExample ex = r.getExamples(i);
      String field = "examples[" + i + "]";
      int pi = promptIndex(ex.getPromptIndex(), ps, field);
      InputEncoder.Encoded in = encoder.input(ex.getInput(), field + ".input", r.getTruncation());
      int[] target = encoder.target(ex.getTarget(), field + ".target");
      budget.add(promptLength(ps, pi) + in.ids().length + target.length, field);
      truncated[i] = in.truncated();
      examples.add(new Example(in.ids(), target, pi));
    }
    FbOutcome o = batching.forwardBackward(ps, examples, !r.getForwardOnly());
    ForwardBackwardResponse.Builder out = ForwardBackwardResponse.newBuilder()
        .setLoss((float) o.loss()).setNumTargetTokens(o.numTargetTokens());
    for (int i = 0; i < examples.size(); i++) {
      int n = o.exampleTokens()[i];
      double sum = o.exampleSumNll()[i];
      out.addExamples(ExampleLoss.newBuilder().setLoss((float) (sum / n)).setSumNll((float) sum)
          .setNumTargetTokens(n).setTruncated(truncated[i]));
    }
    if (!r.getForwardOnly()) {
      for (int i = 0; i < ps.size(); i++) {
        out.addPromptGradients(Tensors.float32(o.promptGradients().get(i), ps.get(i).length(), spec.dModel()));
      }
    }
    return out.build();
  }

  public ScoreResponse score(ScoreRequest r) {
    checkCount(r.getExamplesCount(), "examples");
    Expansion x = new Expansion(prompts.resolveAllServed(r.getPromptsList(), "prompts"));
    Budget budget = new Budget("examples");
    List<ScoreQuery> queries = new ArrayList<>(r.getExamplesCount());
    for (int i = 0; i < r.getExamplesCount(); i++) {
      ScoreExample ex = r.getExamples(i);
      String field = "examples[" + i + "]";
      int pi = promptIndex(ex.getPromptIndex(), x.served.size(), field);
      int[] in = encoder.input(ex.getInput(), field + ".input", r.getTruncation()).ids();
      if (ex.getCandidatesCount() == 0) {
        throw Errors.invalid(ErrorReason.EMPTY_INPUT, field + ".candidates", "no candidates; give at least one");
      }
      List<int[]> cands = new ArrayList<>(ex.getCandidatesCount());
      for (int c = 0; c < ex.getCandidatesCount(); c++) {
        cands.add(encoder.target(ex.getCandidates(c), field + ".candidates[" + c + "]"));
      }
      for (int row : x.rows(pi)) { // one row per ensemble member (one row for a single prompt or none)
        for (int[] ids : cands) {
          budget.add(promptLength(x.flat, row) + in.length + ids.length, field);
        }
        queries.add(new ScoreQuery(in, cands, row));
      }
      x.addExample(pi, field);
    }
    List<CandidateScores> scores = batching.score(x.flat, queries);
    ScoreResponse.Builder out = ScoreResponse.newBuilder();
    int q = 0;
    for (int i = 0; i < r.getExamplesCount(); i++) {
      PromptResolver.Served served = x.servedOf(i);
      if (served == null || !served.isEnsemble()) {
        CandidateScores s = scores.get(q++);
        ExampleScores.Builder e = ExampleScores.newBuilder();
        for (int c = 0; c < s.sumLogProb().length; c++) {
          e.addCandidates(candidate(s.sumLogProb()[c], s.numTokens()[c]));
        }
        out.addExamples(e.setBestIndex(EnsembleCombiner.argmax(s.sumLogProb())));
        continue;
      }
      int n = served.members().size();
      double[][] sums = new double[n][];
      ExampleScores.Builder e = ExampleScores.newBuilder().setRule(served.rule());
      int[] numTokens = scores.get(q).numTokens();
      for (int m = 0; m < n; m++) {
        CandidateScores s = scores.get(q++);
        sums[m] = s.sumLogProb();
        MemberScores.Builder mb = MemberScores.newBuilder().setBestIndex(EnsembleCombiner.argmax(s.sumLogProb()));
        for (int c = 0; c < s.sumLogProb().length; c++) {
          mb.addCandidates(candidate(s.sumLogProb()[c], s.numTokens()[c]));
        }
        e.addMembers(mb);
      }
      EnsembleCombiner.ScoreChoice choice = EnsembleCombiner.score(sums, served.rule());
      for (int c = 0; c < numTokens.length; c++) {
        e.addCandidates(candidate(choice.meanSumLogProb()[c], numTokens[c])).addVotes(choice.votes()[c]);
      }
      out.addExamples(e.setBestIndex(choice.best()));
    }
    return out.build();
  }

  private static CandidateScore candidate(double sum, int n) {
    return CandidateScore.newBuilder().setSumLogProb(sum).setNumTokens(n).setMeanLogProb(sum / n).build();
  }

  public GenerateResponse generate(GenerateRequest r) {
    checkCount(r.getInputsCount(), "inputs");
    if (r.getMaxNewTokens() < 0) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, "max_new_tokens", "must be >= 0 (0 means "
          + DEFAULT_MAX_NEW_TOKENS + ")");
    }
    int maxNew = Math.min(r.getMaxNewTokens() == 0 ? DEFAULT_MAX_NEW_TOKENS : r.getMaxNewTokens(),
        limits.maxTargetTokens());
    if (r.getNumBeams() < 0 || r.getNumBeams() > limits.maxBeams()) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, "num_beams", r.getNumBeams() + " is outside [0, "
          + limits.maxBeams() + "] (0 or 1 = greedy; promptune.runtime.max-beams)");
    }
    int beams = Math.max(1, r.getNumBeams());
    float penalty = r.getLengthPenalty() == 0f ? 1f : r.getLengthPenalty();
    if (!Float.isFinite(penalty)) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, "length_penalty", "must be finite, got " + penalty);
    }
    Expansion x = new Expansion(prompts.resolveAllServed(r.getPromptsList(), "prompts"));
    Budget budget = new Budget("inputs");
    List<GenerateQuery> queries = new ArrayList<>(r.getInputsCount());
    for (int i = 0; i < r.getInputsCount(); i++) {
      GenerateInput g = r.getInputs(i);
      String field = "inputs[" + i + "]";
      int pi = promptIndex(g.getPromptIndex(), x.served.size(), field);
      int[] in = encoder.input(g.getInput(), field + ".input", r.getTruncation()).ids();
      for (int row : x.rows(pi)) {
        budget.add((long) beams * (promptLength(x.flat, row) + in.length + maxNew), field);
        queries.add(new GenerateQuery(in, row));
      }
      x.addExample(pi, field);
    }
    List<GenerationResult> results = batching.generate(x.flat, queries, maxNew, beams, penalty);
    GenerateResponse.Builder out = GenerateResponse.newBuilder();
    int q = 0;
    for (int i = 0; i < r.getInputsCount(); i++) {
      PromptResolver.Served served = x.servedOf(i);
      if (served == null || !served.isEnsemble()) {
        out.addGenerations(generation(results.get(q++)));
        continue;
      }
      int n = served.members().size();
      List<Generation> members = new ArrayList<>(n);
      List<String> texts = new ArrayList<>(n);
      double[] logProbs = new double[n];
      for (int m = 0; m < n; m++) {
        Generation g = generation(results.get(q++)).build();
        members.add(g);
        texts.add(g.getText());
        logProbs[m] = g.getSumLogProb();
      }
      EnsembleCombiner.Vote v = EnsembleCombiner.vote(texts, logProbs);
      out.addGenerations(members.get(v.winner()).toBuilder().addAllMembers(members)
          .setRule(CombinationRule.MAJORITY_VOTE).setVotes(v.votes()));
    }
    return out.build();
  }

  private Generation.Builder generation(GenerationResult g) {
    Generation.Builder b = Generation.newBuilder().setText(tokenizer.decode(g.tokenIds(), true))
        .setSumLogProb(g.sumLogProb()).setFinishReason(g.endedWithEos() ? FinishReason.EOS : FinishReason.LENGTH);
    for (int id : g.tokenIds()) {
      b.addTokenIds(id);
    }
    return b;
  }

  /**
   * A request's prompts flattened for the engine: a single prompt is one engine prompt, an ensemble one per member.
   * Each example that points at an ensemble becomes one engine row per member (all in the same engine call); the
   * rows of one example are consecutive, in member order.
   */
  private final class Expansion {
    final List<PromptResolver.Served> served;
    final List<SoftPrompt> flat = new ArrayList<>();
    final int[] first; // served index -> first flat index
    final List<PromptResolver.Served> perExample = new ArrayList<>();
    int rows;

    Expansion(List<PromptResolver.Served> served) {
      this.served = served;
      this.first = new int[served.size()];
      for (int i = 0; i < served.size(); i++) {
        first[i] = flat.size();
        flat.addAll(served.get(i).members());
      }
    }

    /** The engine prompt indices an example with this request prompt index runs with. */
    int[] rows(int promptIndex) {
      if (promptIndex < 0) {
        return new int[] {-1};
      }
      int n = served.get(promptIndex).members().size();
      int[] out = new int[n];
      for (int m = 0; m < n; m++) {
        out[m] = first[promptIndex] + m;
      }
      return out;
    }

    void addExample(int promptIndex, String field) {
      PromptResolver.Served s = promptIndex < 0 ? null : served.get(promptIndex);
      perExample.add(s);
      rows += s == null ? 1 : s.members().size();
      if (rows > limits.maxBatchExamples()) {
        throw Errors.tooLarge(field, "with each ensemble member's row the request has more than "
            + limits.maxBatchExamples() + " rows (an input that uses an ensemble of N prompts counts N times; "
            + "promptune.runtime.max-batch-examples); split the batch");
      }
    }

    PromptResolver.Served servedOf(int example) {
      return perExample.get(example);
    }
  }

  public NearestTokensResponse nearestTokens(NearestTokensRequest r) {
    if (r.getK() < 0 || r.getK() > MAX_K) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, "k", r.getK() + " is outside [0, " + MAX_K + "] (0 means "
          + DEFAULT_K + ")");
    }
    int k = Math.min(r.getK() == 0 ? DEFAULT_K : r.getK(), tokenizer.vocabSize());
    if (!r.hasPrompt()) {
      throw Errors.invalid(ErrorReason.EMPTY_INPUT, "prompt", "no prompt given");
    }
    SoftPrompt p = prompts.resolve(r.getPrompt(), "prompt");
    NearestTokensResponse.Builder out = NearestTokensResponse.newBuilder();
    for (List<NearestToken> row : engine.nearestTokens(p, k)) {
      NearestTokenRow.Builder b = NearestTokenRow.newBuilder();
      for (NearestToken t : row) {
        b.addTokens(TokenSimilarity.newBuilder().setTokenId(t.tokenId()).setPiece(tokenizer.piece(t.tokenId()))
            .setCosine(t.cosine()));
      }
      out.addRows(b);
    }
    return out.build();
  }

  public EmbedTokensResponse embedTokens(EmbedTokensRequest r) {
    if (r.getIdsCount() == 0) {
      throw Errors.invalid(ErrorReason.EMPTY_INPUT, "ids", "no ids given");
    }
    if (r.getIdsCount() > MAX_EMBED_IDS) {
      throw Errors.tooLarge("ids", r.getIdsCount() + " ids is over the limit of " + MAX_EMBED_IDS
          + " per request; split the request");
    }
    int[] ids = r.getIdsList().stream().mapToInt(Integer::intValue).toArray();
    encoder.checkIds(ids, "ids");
    return EmbedTokensResponse.newBuilder()
        .setEmbeddings(Tensors.float32(engine.embed(ids), ids.length, spec.dModel())).build();
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private void checkFingerprint(String expected) {
    if (!expected.isEmpty() && !expected.equals(engine.fingerprint())) {
      throw Errors.modelMismatch("expected_model_fingerprint", "expected " + expected + " but this runtime serves '"
          + engine.modelId() + "' with fingerprint " + engine.fingerprint() + "; point the caller at a runtime with "
          + "that model or drop the expectation");
    }
  }

  private void checkCount(int n, String field) {
    if (n == 0) {
      throw Errors.invalid(ErrorReason.EMPTY_INPUT, field, "the batch is empty; send at least one");
    }
    if (n > limits.maxBatchExamples()) {
      throw Errors.tooLarge(field, n + " entries is over the limit of " + limits.maxBatchExamples()
          + " per request (promptune.runtime.max-batch-examples); split the batch");
    }
  }

  /** Index into the request's prompts; ignored (no prompt) when it has none, -1 = no prompt for this example. */
  private static int promptIndex(int index, List<SoftPrompt> ps, String field) {
    return promptIndex(index, ps.size(), field);
  }

  private static int promptIndex(int index, int prompts, String field) {
    if (prompts == 0) {
      return -1;
    }
    if (index < -1 || index >= prompts) {
      throw Errors.invalid(ErrorReason.INVALID_ARGUMENT, field + ".prompt_index", "is " + index + " but the request "
          + "has " + prompts + " prompt(s); use 0.." + (prompts - 1) + " (or -1 for no prompt)");
    }
    return index;
  }

  private static int promptLength(List<SoftPrompt> ps, int index) {
    return index < 0 ? 0 : ps.get(index).length();
  }

  /** Sums the request's tokens and fails as soon as they exceed the limit. */
  private final class Budget {
    private final String field;
    private long tokens;

    Budget(String field) {
      this.field = field;
    }

    void add(long n, String where) {
      tokens += n;
      if (tokens > limits.maxRequestTokens()) {
        throw Errors.tooLarge(field, "the request needs more than " + limits.maxRequestTokens() + " tokens (prompt + "
            + "input + target per example; reached at " + where + "); split it into smaller requests "
            + "(promptune.runtime.max-request-tokens)");
      }
    }
  }

  @Override
  public void close() {
    batching.close();
    engine.close();
  }
}
