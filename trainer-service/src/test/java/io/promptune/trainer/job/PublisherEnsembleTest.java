package io.promptune.trainer.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.CallerIdentity;
import io.promptune.api.Tensors;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.CreateEnsembleRequest;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RandomUniformInit;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.VersionKind;
import io.promptune.trainer.clients.RegistryClient;
import io.promptune.trainer.clients.Retrier;
import io.promptune.trainer.loop.DataOrder;
import io.promptune.trainer.loop.Rng;
import io.promptune.trainer.loop.TrainingState;
import io.promptune.trainer.optim.Adafactor;
import io.promptune.trainer.testing.InMemoryRegistry;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Publishing an ensemble job: members, then the ensemble over them; a crash in between never duplicates. */
class PublisherEnsembleTest {

  private static final UUID JOB = UUID.fromString("00000000-0000-0000-0000-0000000000e5");
  private static final ModelInfo MODEL = ModelInfo.newBuilder().setModelId("toy").setFingerprint("fp")
      .setTokenizerFingerprint("tok").setDModel(2).build();
  private static final JobSpec SPEC = JobSpec.newBuilder().setOutputPrompt("sent").setTask("sst2").setSeed(40)
      .setPromptLength(2).setMaxSteps(5).setEnsembleSize(3).setEnsembleRule(CombinationRule.MAJORITY_VOTE)
      .setInit(PromptInit.newBuilder().setRandomUniform(RandomUniformInit.newBuilder().setRange(0.5f))).build();
  private static final Retrier RETRIER = new Retrier(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(5),
      () -> false);

  /** A finished 3-member state: member i's best prompt is all (i + 1), its own best value 0.5 + i / 10. */
  private static TrainingState state() {
    List<TrainingState.Member> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      float[] best = {i + 1, i + 1, i + 1, i + 1};
      members.add(new TrainingState.Member(new float[4], new Adafactor(2, 2, Adafactor.Settings.paper()),
          new DataOrder(40 + i, 10, 0, 0), Rng.seeded(i), best, 0.5 + i / 10.0, 0.25f));
    }
    return new TrainingState(5, 2, 2, members, 0.75, 5, 0, true, "max_steps");
  }

  /** Fails (like a worker crash, not a transient error) at the n-th PublishVersion or CreateEnsemble call. */
  private static final class Crashing implements RegistryClient {
    final InMemoryRegistry r;
    final AtomicInteger calls = new AtomicInteger();
    final int crashAt;

    Crashing(InMemoryRegistry r, int crashAt) {
      this.r = r;
      this.crashAt = crashAt;
    }

    private void maybeCrash() {
      if (calls.incrementAndGet() == crashAt) {
        throw new IllegalStateException("crash");
      }
    }

    @Override
    public PromptVersion getVersion(GetVersionRequest request, CallerIdentity caller) {
      return r.getVersion(request, caller);
    }

    @Override
    public PromptVersion publishVersion(PublishVersionRequest request, CallerIdentity caller) {
      PromptVersion v = r.publishVersion(request, caller);
      maybeCrash(); // the version is stored; the answer is lost
      return v;
    }

    @Override
    public ListVersionsResponse listVersions(ListVersionsRequest request, CallerIdentity caller) {
      return r.listVersions(request, caller);
    }

    @Override
    public PromptVersion createEnsemble(CreateEnsembleRequest request, CallerIdentity caller) {
      PromptVersion v = r.createEnsemble(request, caller);
      maybeCrash();
      return v;
    }

    @Override
    public Evaluation recordEvaluation(RecordEvaluationRequest request, CallerIdentity caller) {
      return r.recordEvaluation(request, caller);
    }
  }

  private static String sha256Hex(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void publishesMembersThenAnEnsembleOverThem() throws Exception {
    InMemoryRegistry reg = new InMemoryRegistry();
    Publisher.Published p = new Publisher(reg, RETRIER).publishEnsemble(JOB, SPEC, MODEL, state(), "accuracy", "alice");
    assertEquals(3, p.members().size());
    for (int i = 0; i < 3; i++) {
      PromptVersion m = p.members().get(i);
      assertEquals(i + 1, m.getNumber());
      assertEquals(Tensors.float32(new float[] {i + 1, i + 1, i + 1, i + 1}, 2, 2), m.getTensor());
      assertEquals(Integer.toString(40 + i), m.getHyperparametersOrThrow("seed"));
      assertEquals(Integer.toString(i), m.getHyperparametersOrThrow("ensemble_member"));
      assertEquals(0.5 + i / 10.0, m.getMetricsOrThrow("accuracy"));
      assertEquals(JOB.toString(), m.getTrainingJobId());
    }
    PromptVersion e = p.ensemble();
    assertEquals(VersionKind.ENSEMBLE, e.getKind());
    assertEquals(4, e.getNumber());
    assertEquals(List.of(p.members().get(0).getId(), p.members().get(1).getId(), p.members().get(2).getId()),
        e.getEnsemble().getMembersList().stream().map(x -> x.getVersionId()).toList());
    assertEquals(0.75, e.getMetricsOrThrow("accuracy"));
    assertEquals(0.6, e.getMetricsOrThrow("accuracy_member_mean"), 1e-12);
    // The digest the trainer matches on is the registry's documented one (computed here by hand).
    StringBuilder text = new StringBuilder("promptune-ensemble-v1\nMAJORITY_VOTE\n");
    for (PromptVersion m : p.members()) {
      text.append(m.getSha256()).append('\n');
    }
    assertEquals(sha256Hex(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        Publisher.ensembleDigest(CombinationRule.MAJORITY_VOTE, p.members().stream().map(PromptVersion::getSha256)
            .toList()));
  }

  @Test
  void aCrashBetweenPublishesIsRepairedWithoutDuplicates() {
    for (int crashAt = 1; crashAt <= 4; crashAt++) { // after member 0, 1, 2, or after the ensemble
      InMemoryRegistry reg = new InMemoryRegistry();
      Crashing crashing = new Crashing(reg, crashAt);
      assertThrows(IllegalStateException.class, () -> new Publisher(crashing, RETRIER)
          .publishEnsemble(JOB, SPEC, MODEL, state(), "accuracy", "alice"));
      Publisher.Published p = new Publisher(reg, RETRIER).publishEnsemble(JOB, SPEC, MODEL, state(), "accuracy",
          "alice");
      assertEquals(4, reg.versions().size(), "crash at call " + crashAt + ": 3 members and 1 ensemble, no more");
      assertEquals(3, reg.publishCalls(), "crash at call " + crashAt);
      assertEquals(1, reg.createEnsembleCalls(), "crash at call " + crashAt);
      assertEquals(reg.versions().get(3).getId(), p.ensemble().getId());
    }
  }

  @Test
  void evaluationsAreRecordedOncePerVersion() {
    InMemoryRegistry reg = new InMemoryRegistry();
    Publisher pub = new Publisher(reg, RETRIER);
    Publisher.Published p = pub.publishEnsemble(JOB, SPEC, MODEL, state(), "accuracy", "alice");
    List<Publisher.Evaluated> results = List.of(new Publisher.Evaluated(p.ensemble().getId(), 0.75),
        new Publisher.Evaluated(p.members().get(0).getId(), 0.5), new Publisher.Evaluated(p.members().get(1).getId(),
        Double.NaN));
    pub.recordEvaluations(JOB, "ds", "accuracy", 12, results, "alice");
    pub.recordEvaluations(JOB, "ds", "accuracy", 12, results, "alice"); // a retry after a crash
    List<Evaluation> evs = reg.evaluations();
    assertEquals(2, evs.size(), "NaN (never evaluated) is not recorded; a repeat adds nothing");
    assertEquals(p.ensemble().getId(), evs.get(0).getVersionId());
    assertEquals(0.75, evs.get(0).getValue());
    assertEquals("validation", evs.get(0).getSplit());
    assertEquals(12, evs.get(0).getExamples());
    assertEquals(JOB.toString(), evs.get(0).getJobId());
    assertTrue(evs.stream().allMatch(e -> e.getDatasetId().equals("ds") && e.getMetric().equals("accuracy")));
  }
}
