package io.promptune.trainer.evaluation;

import io.grpc.Status;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity;
import io.promptune.api.v1.CandidateScore;
import io.promptune.api.v1.EmbedTokensRequest;
import io.promptune.api.v1.EmbedTokensResponse;
import io.promptune.api.v1.Ensemble;
import io.promptune.api.v1.EnsembleMember;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.ExampleScores;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.ForwardBackwardResponse;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.Generation;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.MemberScores;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.TokenizeRequest;
import io.promptune.api.v1.TokenizeResponse;
import io.promptune.api.v1.TokenizedText;
import io.promptune.api.v1.VersionKind;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.RuntimeClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.IntUnaryOperator;

/** Hand-controlled stand-ins for the runtime, the registry and the job's store, for {@link EvaluationJobTest}. */
final class EvaluationFakes {

  static final String FINGERPRINT = "fp-1";

  private EvaluationFakes() {}

  /** The example number i of an input text ending in "s&lt;i&gt;". */
  static int exampleNumber(String input) {
    String last = input.substring(input.lastIndexOf(' ') + 1);
    return Integer.parseInt(last.substring(1));
  }

  /**
   * A runtime whose answers the test dictates: {@code choice.applyAsInt(i)} is the candidate index (Score) or, for
   * Generate, the index into {@code words} of the text generated for example i; per member the same with
   * {@code memberChoice.apply(m, i)}. Checks the prompt is a reference to {@code expectedVersionId}.
   */
  static final class Runtime implements RuntimeClient {
    final IntUnaryOperator choice;
    final BiFunction<Integer, Integer, Integer> memberChoice;
    final int members;
    final List<String> words;
    volatile String expectedVersionId;
    volatile int maxBatchExamples = 64;
    final List<Integer> scored = new ArrayList<>();
    int maxExamplesSeen;

    Runtime(IntUnaryOperator choice, int members, BiFunction<Integer, Integer, Integer> memberChoice,
        List<String> words) {
      this.choice = choice;
      this.members = members;
      this.memberChoice = memberChoice;
      this.words = words;
    }

    @Override
    public ModelInfo modelInfo() {
      return ModelInfo.newBuilder().setModelId("fake").setFingerprint(FINGERPRINT).setMaxTargetTokens(16)
          .setMaxBatchExamples(maxBatchExamples).build();
    }

    @Override
    public TokenizeResponse tokenize(TokenizeRequest request) {
      TokenizeResponse.Builder out = TokenizeResponse.newBuilder();
      for (String t : request.getTextsList()) {
        TokenizedText.Builder tt = TokenizedText.newBuilder();
        for (String w : t.trim().split("\\s+")) {
          tt.addIds(7);
        }
        out.addTexts(tt.addIds(1));
      }
      return out.build();
    }

    private void checkPrompt(List<PromptRef> prompts) {
      if (prompts.size() != 1 || !prompts.get(0).getVersion().getVersionId().equals(expectedVersionId)) {
        throw new AssertionError("expected a reference to version " + expectedVersionId + ", got " + prompts);
      }
    }

    @Override
    public synchronized ScoreResponse score(ScoreRequest request) {
      checkPrompt(request.getPromptsList());
      maxExamplesSeen = Math.max(maxExamplesSeen, request.getExamplesCount());
      ScoreResponse.Builder out = ScoreResponse.newBuilder();
      for (var ex : request.getExamplesList()) {
        int i = exampleNumber(ex.getInput().getText());
        scored.add(i);
        ExampleScores.Builder es = ExampleScores.newBuilder().setBestIndex(choice.applyAsInt(i));
        for (int c = 0; c < ex.getCandidatesCount(); c++) {
          es.addCandidates(CandidateScore.newBuilder().setSumLogProb(-1).setNumTokens(1).setMeanLogProb(-1));
        }
        for (int m = 0; m < members; m++) {
          es.addMembers(MemberScores.newBuilder().setBestIndex(memberChoice.apply(m, i)));
        }
        out.addExamples(es);
      }
      return out.build();
    }

    @Override
    public synchronized GenerateResponse generate(GenerateRequest request) {
      checkPrompt(request.getPromptsList());
      if (request.getMaxNewTokens() <= 0 || request.getNumBeams() > 1) {
        throw new AssertionError("greedy decoding with a token limit expected: " + request);
      }
      GenerateResponse.Builder out = GenerateResponse.newBuilder();
      for (var in : request.getInputsList()) {
        int i = exampleNumber(in.getInput().getText());
        scored.add(i);
        Generation.Builder g = Generation.newBuilder().setText(" " + words.get(choice.applyAsInt(i)) + " ");
        for (int m = 0; m < members; m++) {
          g.addMembers(Generation.newBuilder().setText(words.get(memberChoice.apply(m, i))));
        }
        out.addGenerations(g);
      }
      return out.build();
    }

    @Override
    public ForwardBackwardResponse forwardBackward(ForwardBackwardRequest request) {
      throw new AssertionError("an evaluation never trains");
    }

    @Override
    public EmbedTokensResponse embedTokens(EmbedTokensRequest request) {
      throw new AssertionError("an evaluation never embeds");
    }
  }

  /** Versions by id, "name:n" and "name@env" (an alias the test moves); records evaluations like the registry. */
  static final class Registry implements RegistryClient {
    final Map<String, PromptVersion> byRef = new HashMap<>();
    final List<RecordEvaluationRequest> recorded = new ArrayList<>();
    final Map<String, Evaluation> byJob = new HashMap<>();

    PromptVersion single(String prompt, int number, String fingerprint) {
      PromptVersion v = PromptVersion.newBuilder().setId(UUID.randomUUID().toString()).setPromptName(prompt)
          .setNumber(number).setBaseModelFingerprint(fingerprint).setKind(VersionKind.SINGLE_PROMPT)
          .putHyperparameters("task_format", "sst2").build();
      add(v);
      return v;
    }

    PromptVersion ensemble(String prompt, int number, int members) {
      Ensemble.Builder e = Ensemble.newBuilder();
      for (int m = 0; m < members; m++) {
        e.addMembers(EnsembleMember.newBuilder().setVersionId(UUID.randomUUID().toString()));
      }
      PromptVersion v = PromptVersion.newBuilder().setId(UUID.randomUUID().toString()).setPromptName(prompt)
          .setNumber(number).setBaseModelFingerprint(FINGERPRINT).setKind(VersionKind.ENSEMBLE).setEnsemble(e)
          .build();
      add(v);
      return v;
    }

    void add(PromptVersion v) {
      byRef.put(v.getId(), v);
      byRef.put(v.getPromptName() + ":" + v.getNumber(), v);
    }

    void alias(String ref, PromptVersion v) {
      byRef.put(ref, v);
    }

    @Override
    public synchronized PromptVersion getVersion(GetVersionRequest request, CallerIdentity caller) {
      var s = request.getVersion();
      String ref = s.hasNumbered() ? s.getNumbered().getPromptName() + ":" + s.getNumbered().getNumber()
          : !s.getRef().isEmpty() ? s.getRef() : s.getVersionId();
      PromptVersion v = byRef.get(ref);
      if (v == null) {
        throw ApiErrors.notFound("no version " + ref);
      }
      return v;
    }

    @Override
    public synchronized Evaluation recordEvaluation(RecordEvaluationRequest r, CallerIdentity caller) {
      recorded.add(r);
      Evaluation prior = byJob.get(r.getJobId());
      if (prior != null) {
        if (prior.getValue() != r.getValue()) {
          throw Status.ALREADY_EXISTS.asRuntimeException();
        }
        return prior;
      }
      Evaluation e = Evaluation.newBuilder().setId(100 + byJob.size()).setVersionId(r.getVersion().getVersionId())
          .setValue(r.getValue()).build();
      byJob.put(r.getJobId(), e);
      return e;
    }

    @Override
    public PromptVersion publishVersion(PublishVersionRequest request, CallerIdentity caller) {
      throw new AssertionError("an evaluation never publishes");
    }

    @Override
    public PromptVersion createEnsemble(io.promptune.api.v1.CreateEnsembleRequest request, CallerIdentity caller) {
      throw new AssertionError("an evaluation never creates an ensemble");
    }

    @Override
    public ListVersionsResponse listVersions(ListVersionsRequest request, CallerIdentity caller) {
      throw new AssertionError("not used");
    }
  }

  /** trainer.evaluations in memory, fenced by the attempt that holds the job (as the repository is by jobs.attempts). */
  static final class Store implements EvaluationStore {
    EvaluationRecord record;
    int holder;
    final List<JobEvent> events = new ArrayList<>();
    /** saveProgress throws (a worker killed mid-job) on this call number (1-based); 0 = never. */
    int crashOnSave;
    int saves;

    Store(UUID jobId, io.promptune.api.v1.EvaluationSpec spec, int holder) {
      this.record = new EvaluationRecord(jobId, spec, null, null, Progress.start(0), null);
      this.holder = holder;
    }

    @Override
    public Optional<EvaluationRecord> find(UUID jobId) {
      return Optional.of(record);
    }

    @Override
    public boolean pin(UUID jobId, int attempt, String versionId, long total, int members, JobEvent event) {
      if (attempt != holder) {
        return false;
      }
      record = new EvaluationRecord(jobId, record.spec(), versionId, total, Progress.start(members), null);
      events.add(event);
      return true;
    }

    @Override
    public boolean saveProgress(UUID jobId, int attempt, Progress progress, JobEvent event) {
      if (++saves == crashOnSave) {
        throw new IllegalStateException("simulated crash");
      }
      if (attempt != holder) {
        return false;
      }
      record = new EvaluationRecord(jobId, record.spec(), record.versionId(), record.total(), progress, null);
      events.add(event);
      return true;
    }

    @Override
    public boolean saveOutcome(UUID jobId, int attempt, EvaluationOutcome outcome) {
      if (attempt != holder) {
        return false;
      }
      record = new EvaluationRecord(jobId, record.spec(), record.versionId(), record.total(), record.progress(),
          outcome);
      return true;
    }

    @Override
    public boolean append(UUID jobId, int attempt, JobEvent event) {
      if (attempt != holder) {
        return false;
      }
      events.add(event);
      return true;
    }
  }
}
