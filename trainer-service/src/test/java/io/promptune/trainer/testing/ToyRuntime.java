package io.promptune.trainer.testing;

import io.grpc.Status;
import io.promptune.api.ApiErrors;
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
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;
import io.promptune.api.v1.TokenizedText;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.loop.Rng;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small, deterministic stand-in for the T5 runtime in tests of the trainer's own machinery (queue, checkpoints,
 * resume, retries): a genuine differentiable model, not canned answers. Tokens are whitespace-separated words
 * hashed into the vocabulary; the encoder state is h = mean(P rows) + mean(input token embeddings); every target
 * token is predicted by softmax(E h). Loss = mean token NLL of the batch (as Hugging Face), gradient d loss / d P
 * exact. Deterministic math in double, answered as float32, like the real runtime's contract.
 *
 * <p>Faults can be injected: the next N calls fail with a status (transient-retry tests), or the loss turns NaN
 * from a given ForwardBackward call on (NON_FINITE tests).
 */
public final class ToyRuntime implements RuntimeClient {

  public static final int EOS = 1;

  private final int dModel;
  private final int vocab;
  private final String fingerprint;
  private final int maxBatchExamples;
  private final double[][] emb;
  private final String[] words;
  private final AtomicInteger failures = new AtomicInteger();
  private volatile Status.Code failureCode = Status.Code.UNAVAILABLE;
  private volatile int nanFromCall = Integer.MAX_VALUE;
  private final AtomicInteger forwardBackwardCalls = new AtomicInteger();
  private final AtomicInteger scoreCalls = new AtomicInteger();
  private final List<ForwardBackwardRequest> recorded = new ArrayList<>();
  private volatile boolean recording;
  private volatile long delayMillis;

  public ToyRuntime(int dModel, int vocab, long seed, int maxBatchExamples) {
    this.dModel = dModel;
    this.vocab = vocab;
    this.maxBatchExamples = maxBatchExamples;
    this.fingerprint = "toy-" + dModel + "-" + vocab + "-" + seed;
    this.emb = new double[vocab][dModel];
    this.words = new String[vocab];
    Rng rng = Rng.seeded(seed);
    for (int v = 0; v < vocab; v++) {
      for (int d = 0; d < dModel; d++) {
        emb[v][d] = rng.nextDouble() * 2 - 1;
      }
    }
  }

  public String fingerprint() {
    return fingerprint;
  }

  /** The next {@code n} calls (any RPC) fail with {@code code}. */
  public void failNext(int n, Status.Code code) {
    failureCode = code;
    failures.set(n);
  }

  /** ForwardBackward call number {@code call} (1-based, counted from now) and later return a NaN loss. */
  public void nanFromForwardBackward(int call) {
    nanFromCall = forwardBackwardCalls.get() + call;
  }

  public void reset() {
    failures.set(0);
    nanFromCall = Integer.MAX_VALUE;
    delayMillis = 0;
  }

  /** Slows every ForwardBackward down (so a test can act while a job runs). */
  public void delay(long millis) {
    delayMillis = millis;
  }

  /** From now on keeps every ForwardBackward request (as it reached the runtime-client boundary). */
  public void recordRequests() {
    recording = true;
  }

  public List<ForwardBackwardRequest> recordedRequests() {
    synchronized (recorded) {
      return List.copyOf(recorded);
    }
  }

  public int forwardBackwardCalls() {
    return forwardBackwardCalls.get();
  }

  private void maybeFail() {
    if (failures.get() > 0 && failures.getAndDecrement() > 0) {
      throw failureCode == Status.Code.UNAVAILABLE || failureCode == Status.Code.DEADLINE_EXCEEDED
          ? Status.fromCode(failureCode).withDescription("injected").asRuntimeException()
          : ApiErrors.error(failureCode, ErrorReason.INVALID_ARGUMENT, "injected");
    }
  }

  /** Row {@code id} of the embedding table as float32, as EmbedTokens answers it. */
  public float[] embedding(int id) {
    float[] out = new float[dModel];
    for (int d = 0; d < dModel; d++) {
      out[d] = (float) emb[id][d];
    }
    return out;
  }

  public int[] ids(String text, boolean eos) {
    List<Integer> out = new ArrayList<>();
    for (String w : text.trim().split("\\s+")) {
      if (!w.isEmpty()) {
        out.add(wordId(w));
      }
    }
    if (eos) {
      out.add(EOS);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private int wordId(String w) {
    long h = 0xcbf29ce484222325L; // FNV-1a
    for (byte b : w.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    int id = 3 + (int) Long.remainderUnsigned(h, vocab - 3);
    synchronized (words) {
      if (words[id] == null) {
        words[id] = w;
      }
    }
    return id;
  }

  private int[] ids(Text t) {
    return t.hasIds() ? t.getIds().getIdsList().stream().mapToInt(Integer::intValue).toArray() : ids(t.getText(), true);
  }

  @Override
  public ModelInfo modelInfo() {
    maybeFail();
    return ModelInfo.newBuilder().setModelId("toy:log-linear").setFingerprint(fingerprint)
        .setTokenizerFingerprint("toy-words").setArchitecture("toy").setDModel(dModel).setVocabSize(vocab)
        .setEosTokenId(EOS).setMaxInputTokens(256).setMaxTargetTokens(16).setMaxPromptLength(128)
        .setMaxBatchExamples(maxBatchExamples).setDevice("cpu").setWeightsDtype("float32").build();
  }

  @Override
  public TokenizeResponse tokenize(TokenizeRequest request) {
    maybeFail();
    TokenizeResponse.Builder out = TokenizeResponse.newBuilder();
    for (String t : request.getTextsList()) {
      TokenizedText.Builder tt = TokenizedText.newBuilder();
      for (int id : ids(t, request.getAddEos())) {
        tt.addIds(id).addPieces(id == EOS ? "</s>" : words[id]);
      }
      out.addTexts(tt);
    }
    return out.build();
  }

  @Override
  public EmbedTokensResponse embedTokens(EmbedTokensRequest request) {
    maybeFail();
    float[] out = new float[request.getIdsCount() * dModel];
    for (int i = 0; i < request.getIdsCount(); i++) {
      System.arraycopy(embedding(request.getIds(i)), 0, out, i * dModel, dModel);
    }
    return EmbedTokensResponse.newBuilder().setEmbeddings(Tensors.float32(out, request.getIdsCount(), dModel)).build();
  }

  private record Prompt(float[] values, int length) {}

  private volatile java.util.function.Function<io.promptune.api.v1.VersionSelector, io.promptune.api.v1.Tensor>
      versions = sel -> {
        throw ApiErrors.invalid(ErrorReason.INVALID_ARGUMENT, "this toy runtime resolves no registry versions");
      };

  /** Serve PromptRef.version (single-prompt versions) with the tensors {@code source} gives. */
  public void resolveVersionsWith(
      java.util.function.Function<io.promptune.api.v1.VersionSelector, io.promptune.api.v1.Tensor> source) {
    versions = source;
  }

  private List<Prompt> prompts(List<PromptRef> refs) {
    List<Prompt> out = new ArrayList<>();
    for (PromptRef r : refs) {
      io.promptune.api.v1.Tensor t = r.hasVersion() ? versions.apply(r.getVersion()) : r.getTensor();
      float[] v = Tensors.toFloats(t, "prompt");
      int len = (int) t.getShape(0);
      if (t.getShape(1) != dModel) {
        throw ApiErrors.invalid(ErrorReason.SHAPE_MISMATCH, "prompt width must be " + dModel);
      }
      out.add(new Prompt(v, len));
    }
    return out;
  }

  private double[] encode(Prompt p, int[] input) {
    double[] h = new double[dModel];
    for (int r = 0; r < p.length(); r++) {
      for (int d = 0; d < dModel; d++) {
        h[d] += p.values()[r * dModel + d] / p.length();
      }
    }
    for (int id : input) {
      for (int d = 0; d < dModel; d++) {
        h[d] += emb[id][d] / input.length;
      }
    }
    return h;
  }

  private double[] logProbs(double[] h) {
    double[] z = new double[vocab];
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      double s = 0;
      for (int d = 0; d < dModel; d++) {
        s += emb[v][d] * h[d];
      }
      z[v] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(z[v] - max);
    }
    double lse = max + Math.log(sum);
    for (int v = 0; v < vocab; v++) {
      z[v] -= lse;
    }
    return z;
  }

  @Override
  public ForwardBackwardResponse forwardBackward(ForwardBackwardRequest request) {
    maybeFail();
    int call = forwardBackwardCalls.incrementAndGet();
    if (recording) {
      synchronized (recorded) {
        recorded.add(request);
      }
    }
    if (delayMillis > 0) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!request.getExpectedModelFingerprint().isEmpty()
        && !request.getExpectedModelFingerprint().equals(fingerprint)) {
      throw ApiErrors.error(Status.Code.FAILED_PRECONDITION, ErrorReason.MODEL_MISMATCH, "model differs");
    }
    if (request.getExamplesCount() > maxBatchExamples) {
      throw ApiErrors.error(Status.Code.INVALID_ARGUMENT, ErrorReason.REQUEST_TOO_LARGE,
          "at most " + maxBatchExamples + " examples");
    }
    List<Prompt> ps = prompts(request.getPromptsList());
    int total = 0;
    int[][] targets = new int[request.getExamplesCount()][];
    for (int e = 0; e < targets.length; e++) {
      targets[e] = ids(request.getExamples(e).getTarget());
      total += targets[e].length;
    }
    double[][] grads = new double[ps.size()][];
    for (int i = 0; i < ps.size(); i++) {
      grads[i] = new double[ps.get(i).values().length];
    }
    double lossSum = 0;
    ForwardBackwardResponse.Builder out = ForwardBackwardResponse.newBuilder();
    for (int e = 0; e < targets.length; e++) {
      var ex = request.getExamples(e);
      Prompt p = ps.get(ex.getPromptIndex());
      double[] h = encode(p, ids(ex.getInput()));
      double[] lp = logProbs(h);
      double nll = 0;
      double[] dh = new double[dModel];
      for (int y : targets[e]) {
        nll -= lp[y];
        // d(-log softmax_y)/dh = sum_v p_v E_v - E_y
        for (int v = 0; v < vocab; v++) {
          double pv = Math.exp(lp[v]);
          for (int d = 0; d < dModel; d++) {
            dh[d] += pv * emb[v][d];
          }
        }
        for (int d = 0; d < dModel; d++) {
          dh[d] -= emb[y][d];
        }
      }
      lossSum += nll;
      out.addExamples(ExampleLoss.newBuilder().setLoss((float) (nll / targets[e].length)).setSumNll((float) nll)
          .setNumTargetTokens(targets[e].length));
      double[] g = grads[ex.getPromptIndex()];
      for (int r = 0; r < p.length(); r++) {
        for (int d = 0; d < dModel; d++) {
          g[r * dModel + d] += dh[d] / p.length() / total;
        }
      }
    }
    float loss = call >= nanFromCall ? Float.NaN : (float) (lossSum / total);
    out.setLoss(loss).setNumTargetTokens(total);
    if (!request.getForwardOnly()) {
      for (int i = 0; i < ps.size(); i++) {
        float[] g = new float[grads[i].length];
        for (int k = 0; k < g.length; k++) {
          g[k] = call >= nanFromCall ? Float.NaN : (float) grads[i][k];
        }
        ByteBufferTensor.put(out, g, ps.get(i).length(), dModel);
      }
    }
    return out.build();
  }

  /** A request prompt as Score and Generate see it: one prompt, or an inline ensemble's members and rule. */
  private record Served(List<Prompt> members, CombinationRule rule, boolean ensemble) {}

  private List<Served> served(List<PromptRef> refs) {
    List<Served> out = new ArrayList<>();
    for (PromptRef r : refs) {
      if (r.hasEnsemble()) {
        List<PromptRef> members = new ArrayList<>();
        for (var t : r.getEnsemble().getMembersList()) {
          members.add(PromptRef.newBuilder().setTensor(t).build());
        }
        CombinationRule rule = r.getEnsemble().getRule() == CombinationRule.MEAN_LOG_PROB
            ? CombinationRule.MEAN_LOG_PROB : CombinationRule.MAJORITY_VOTE;
        out.add(new Served(prompts(members), rule, true));
      } else {
        out.add(new Served(prompts(List.of(r)), CombinationRule.COMBINATION_RULE_UNSPECIFIED, false));
      }
    }
    return out;
  }

  private ExampleScores.Builder scoreOne(Prompt p, ScoreExample ex) {
    double[] lp = logProbs(encode(p, ids(ex.getInput())));
    ExampleScores.Builder es = ExampleScores.newBuilder();
    int best = 0;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < ex.getCandidatesCount(); c++) {
      int[] t = ids(ex.getCandidates(c));
      double s = 0;
      for (int y : t) {
        s += lp[y];
      }
      es.addCandidates(CandidateScore.newBuilder().setSumLogProb(s).setNumTokens(t.length)
          .setMeanLogProb(s / t.length));
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    return es.setBestIndex(best);
  }

  public int scoreCalls() {
    return scoreCalls.get();
  }

  @Override
  public ScoreResponse score(ScoreRequest request) {
    maybeFail();
    scoreCalls.incrementAndGet();
    List<Served> ps = served(request.getPromptsList());
    ScoreResponse.Builder out = ScoreResponse.newBuilder();
    for (var ex : request.getExamplesList()) {
      Served sv = ps.get(ex.getPromptIndex());
      if (!sv.ensemble()) {
        out.addExamples(scoreOne(sv.members().get(0), ex));
        continue;
      }
      List<ExampleScores.Builder> members = new ArrayList<>();
      for (Prompt p : sv.members()) {
        members.add(scoreOne(p, ex));
      }
      int nc = ex.getCandidatesCount();
      int n = members.size();
      ExampleScores.Builder es = ExampleScores.newBuilder().setRule(sv.rule());
      double[] meanSum = new double[nc];
      int[] votes = new int[nc];
      double[] voterSum = new double[nc];
      for (ExampleScores.Builder m : members) {
        for (int c = 0; c < nc; c++) {
          meanSum[c] += m.getCandidates(c).getSumLogProb() / n;
        }
        votes[m.getBestIndex()]++;
        voterSum[m.getBestIndex()] += m.getCandidates(m.getBestIndex()).getSumLogProb();
        es.addMembers(MemberScores.newBuilder().addAllCandidates(m.getCandidatesList()).setBestIndex(m.getBestIndex()));
      }
      for (int c = 0; c < nc; c++) {
        double meanMean = 0;
        for (ExampleScores.Builder m : members) {
          meanMean += m.getCandidates(c).getMeanLogProb() / n;
        }
        es.addCandidates(CandidateScore.newBuilder().setSumLogProb(meanSum[c]).setMeanLogProb(meanMean)
            .setNumTokens(members.get(0).getCandidates(c).getNumTokens()));
        es.addVotes(votes[c]);
      }
      int best = 0;
      if (sv.rule() == CombinationRule.MEAN_LOG_PROB) {
        for (int c = 1; c < nc; c++) {
          if (meanSum[c] > meanSum[best]) {
            best = c;
          }
        }
      } else {
        best = members.get(0).getBestIndex(); // the earliest member's choice wins remaining ties
        for (int c = 0; c < nc; c++) {
          if (votes[c] > votes[best] || (votes[c] == votes[best] && voterSum[c] > voterSum[best])) {
            best = c;
          }
        }
      }
      out.addExamples(es.setBestIndex(best));
    }
    return out.build();
  }

  private Generation.Builder generateOne(Prompt p, GenerateInput in, int max) {
    double[] lp = logProbs(encode(p, ids(in.getInput())));
    int best = 0;
    for (int v = 1; v < vocab; v++) {
      if (lp[v] > lp[best]) {
        best = v;
      }
    }
    Generation.Builder g = Generation.newBuilder();
    StringBuilder text = new StringBuilder();
    double sum = 0;
    for (int i = 0; i < max; i++) {
      g.addTokenIds(best);
      sum += lp[best];
      if (best == EOS) {
        break;
      }
      if (best > 2) {
        text.append(text.isEmpty() ? "" : " ").append(words[best] == null ? "w" + best : words[best]);
      }
    }
    return g.setText(text.toString()).setSumLogProb(sum)
        .setFinishReason(best == EOS ? FinishReason.EOS : FinishReason.LENGTH);
  }

  @Override
  public GenerateResponse generate(GenerateRequest request) {
    maybeFail();
    List<Served> ps = served(request.getPromptsList());
    GenerateResponse.Builder out = GenerateResponse.newBuilder();
    int max = request.getMaxNewTokens() == 0 ? 32 : request.getMaxNewTokens();
    for (var in : request.getInputsList()) {
      Served sv = ps.get(in.getPromptIndex());
      if (!sv.ensemble()) {
        out.addGenerations(generateOne(sv.members().get(0), in, max));
        continue;
      }
      List<Generation> members = new ArrayList<>();
      for (Prompt p : sv.members()) {
        members.add(generateOne(p, in, max).build());
      }
      // Majority vote over texts; ties: higher voters' summed log-prob, then the earliest member's text.
      Generation chosen = members.get(0);
      int chosenVotes = 0;
      double chosenSum = 0;
      for (Generation cand : members) {
        int v = 0;
        double sum = 0;
        for (Generation m : members) {
          if (m.getText().equals(cand.getText())) {
            v++;
            sum += m.getSumLogProb();
          }
        }
        if (v > chosenVotes || (v == chosenVotes && sum > chosenSum)) {
          chosen = cand;
          chosenVotes = v;
          chosenSum = sum;
        }
      }
      out.addGenerations(chosen.toBuilder().addAllMembers(members).setRule(CombinationRule.MAJORITY_VOTE)
          .setVotes(chosenVotes));
    }
    return out.build();
  }

  /** Gradients keep NaN (Tensors.float32 would accept them; the real runtime returns what it computed). */
  static final class ByteBufferTensor {
    static void put(ForwardBackwardResponse.Builder out, float[] g, int rows, int cols) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(g.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(g);
      out.addPromptGradients(io.promptune.api.v1.Tensor.newBuilder().setDtype(io.promptune.api.v1.DType.FLOAT32)
          .addShape(rows).addShape(cols).setData(com.google.protobuf.ByteString.copyFrom(buf.array())));
    }
  }
}
