package io.promptune.trainer.api;

import static io.promptune.trainer.api.TestClients.ALICE;
import static io.promptune.trainer.api.TestClients.VIEWER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.CallerIdentity;
import io.promptune.api.Tensors;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.ListJobsRequest;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.SubmitEvaluationRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.VersionSelector;
import io.promptune.testing.EmbeddedDatabaseResource;
import io.promptune.trainer.clients.RuntimeClient;
import io.promptune.trainer.queue.JobRepository;
import io.promptune.trainer.queue.JobRow;
import io.promptune.trainer.queue.JobRunner;
import io.promptune.trainer.queue.JobWorker;
import io.promptune.trainer.queue.LeaseClock;
import io.promptune.trainer.testing.ManualLeaseClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Evaluation jobs over gRPC inside one trainer: submit-time checks, a job run by the worker against the toy runtime
 * (which serves the version by reference from the in-memory registry), its result recorded with the registry.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestBackendsResource.class, restrictToAnnotatedClass = false)
class EvaluationJobApiTest {

  private static final int D = 8;
  private static final int LENGTH = 4;

  @Inject
  JobWorker worker;

  @Inject
  DataSource db;

  @Inject
  JobRepository jobs;

  @Inject
  RuntimeClient runtime;

  private final ManualLeaseClock leaseClock = new ManualLeaseClock();

  private ManagedChannel ch;
  private TrainerGrpc.TrainerBlockingStub trainer;
  private static Dataset withValidation;
  private static Dataset trainOnly;

  @BeforeEach
  void setUp() throws Exception {
    QuarkusMock.installMockForType(leaseClock, LeaseClock.class);
    TestClients.finishAllJobs(db);
    Backends.RUNTIME.reset();
    ch = TestClients.channel();
    trainer = TestClients.trainer(ch, ALICE);
    if (withValidation == null) {
      withValidation = TestClients.upload(ch, ALICE, DatasetHeader.newBuilder().setName("eval-target")
          .setFormat(DatasetFormat.CSV).build(), TestClients.sst2Csv(20, 0), TestClients.sst2Csv(9, 700), 4096);
      trainOnly = TestClients.upload(ch, ALICE, DatasetHeader.newBuilder().setName("eval-train-only")
          .setFormat(DatasetFormat.CSV).setValidationFraction(-1).build(), TestClients.sst2Csv(6, 900), null, 4096);
    }
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static float[] prompt(int seed) {
    float[] p = new float[LENGTH * D];
    for (int i = 0; i < p.length; i++) {
      p[i] = ((i * 37 + seed * 11) % 17 - 8) / 8f;
    }
    return p;
  }

  /** A version as a training job would publish it: the toy model's fingerprint and the sst2 format recorded. */
  private static PromptVersion publish(String prompt, float[] values, String fingerprint, boolean withFormat) {
    PublishVersionRequest.Builder r = PublishVersionRequest.newBuilder().setPromptName(prompt)
        .setTensor(Tensors.float32(values, LENGTH, D)).setBaseModelFingerprint(fingerprint)
        .setCreatePromptIfMissing(true);
    if (withFormat) {
      r.putHyperparameters("task_format", "sst2").putHyperparameters("input_template", "sst2 sentence: {sentence}")
          .putHyperparameters("target_template", "{label}");
    }
    return Backends.REGISTRY.publishVersion(r.build(), CallerIdentity.SYSTEM);
  }

  private static double evaluatedExamples() {
    var c = io.micrometer.core.instrument.Metrics.globalRegistry.find("promptune.trainer.evaluation.examples")
        .counter();
    return c == null ? 0 : c.count();
  }

  private static VersionSelector ref(String r) {
    return VersionSelector.newBuilder().setRef(r).build();
  }

  private Job submit(EvaluationSpec.Builder spec) {
    return trainer.submitEvaluation(SubmitEvaluationRequest.newBuilder().setSpec(spec).build());
  }

  private Job runToEnd(String id) throws Exception {
    assertEquals(1, worker.poll());
    for (int i = 0; i < 600; i++) {
      Job j = trainer.getJob(GetJobRequest.newBuilder().setJobId(id).build());
      if (j.getState() != JobState.QUEUED && j.getState() != JobState.RUNNING) {
        return j;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("job " + id + " did not end");
  }

  /**
   * The accuracy computed here, apart from the trainer: the first {@code n} validation records of sst2Csv(9, 700)
   * rendered by hand ("sst2 sentence: ..." / label 1 = positive), scored by the toy model with the tensor inline,
   * and the higher-scoring label taken.
   */
  private static double referenceAccuracy(float[] values, int n) {
    String[] good = {"great", "lovely", "fine", "superb", "moving"};
    String[] bad = {"dull", "awful", "boring", "weak", "bad"};
    int right = 0;
    for (int i = 0; i < n; i++) {
      int k = i + 700;
      boolean pos = k % 2 == 0;
      String sentence = "a " + (pos ? good : bad)[k % 5] + ", film " + (k % 7);
      var scores = Backends.RUNTIME.score(ScoreRequest.newBuilder()
          .addPrompts(PromptRef.newBuilder().setTensor(Tensors.float32(values, LENGTH, D)))
          .addExamples(ScoreExample.newBuilder().setInput(Text.newBuilder().setText("sst2 sentence: " + sentence))
              .addCandidates(Text.newBuilder().setText("negative")).addCandidates(Text.newBuilder()
                  .setText("positive")))
          .build()).getExamples(0).getCandidatesList();
      boolean saysPositive = scores.get(1).getSumLogProb() > scores.get(0).getSumLogProb();
      if (saysPositive == pos) {
        right++;
      }
    }
    return (double) right / n;
  }

  @Test
  void evaluatesAVersionOnAnotherDatasetAndRecordsTheResult() throws Exception {
    float[] values = prompt(3);
    PromptVersion v = publish("eval-src", values, Backends.RUNTIME.fingerprint(), true);

    Job submitted = submit(EvaluationSpec.newBuilder().setVersion(ref("eval-src:" + v.getNumber()))
        .setDataset("eval-target").setMaxExamples(7).setBatchSize(3));

    assertEquals(JobKind.JOB_KIND_EVALUATION, submitted.getKind());
    assertFalse(submitted.hasSpec(), "an evaluation job has no training spec");
    EvaluationSpec stored = submitted.getEvaluation();
    assertEquals(withValidation.getId(), stored.getDataset());
    assertEquals(Split.VALIDATION, stored.getSplit());
    assertEquals("sst2", stored.getTaskFormat().getName(), "the format the version was trained with");
    assertEquals(List.of("negative", "positive"), stored.getTaskFormat().getLabelsList());
    assertEquals(EvalMode.RANK_CLASSIFICATION, stored.getMode());
    assertEquals(3, stored.getBatchSize());
    assertEquals(Truncation.REJECT, stored.getTruncation());

    double examples0 = evaluatedExamples();
    Job done = runToEnd(submitted.getId());

    assertEquals(JobState.SUCCEEDED, done.getState(), done.getReason());
    assertEquals(7.0, evaluatedExamples() - examples0, "promptune_trainer_evaluation_examples_total");
    EvaluationOutcome o = done.getEvaluationOutcome();
    double expected = referenceAccuracy(values, 7);
    assertTrue(expected > 0 && expected < 1, "a prompt that gets some right and some wrong: " + expected);
    assertEquals(expected, o.getValue(), 0);
    assertEquals(7, o.getExamples());
    assertEquals("accuracy", o.getMetric());
    assertEquals("validation", o.getSplit());
    assertEquals(v.getId(), o.getVersionId());
    assertEquals(withValidation.getId(), o.getDatasetId());
    assertEquals(stored, done.getEvaluation());

    List<RecordEvaluationRequest> calls = Backends.REGISTRY.recordCalls().stream()
        .filter(r -> r.getJobId().equals(done.getId())).toList();
    assertEquals(1, calls.size());
    assertEquals(v.getId(), calls.get(0).getVersion().getVersionId());
    Evaluation e = Backends.REGISTRY.evaluations().stream().filter(x -> x.getJobId().equals(done.getId()))
        .findFirst().orElseThrow();
    assertEquals(e.getId(), o.getEvaluationId());
    assertEquals(withValidation.getId(), e.getDatasetId());
    assertEquals(o.getValue(), e.getValue(), 0);
    assertEquals(7, e.getExamples());

    List<JobEvent> events = trainer.listJobEvents(ListJobEventsRequest.newBuilder().setJobId(done.getId())
        .setPage(PageRequest.newBuilder().setPageSize(100)).build()).getEventsList();
    List<Long> progress = events.stream().filter(JobEvent::hasEvaluationProgress)
        .map(x -> x.getEvaluationProgress().getExamplesDone()).toList();
    assertEquals(List.of(3L, 6L, 7L), progress);
    assertTrue(events.stream().allMatch(x -> !x.hasEvaluationProgress()
        || x.getEvaluationProgress().getExamplesTotal() == 7));
    assertEquals(JobState.SUCCEEDED, events.get(events.size() - 1).getState().getState());

    List<Job> evals = trainer.listJobs(ListJobsRequest.newBuilder().addKinds(JobKind.JOB_KIND_EVALUATION)
        .setPage(PageRequest.newBuilder().setPageSize(1000)).build()).getJobsList();
    assertTrue(evals.stream().anyMatch(j -> j.getId().equals(done.getId()) && j.hasEvaluationOutcome()));
    assertTrue(evals.stream().allMatch(j -> j.getKind() == JobKind.JOB_KIND_EVALUATION));
    List<Job> training = trainer.listJobs(ListJobsRequest.newBuilder().addKinds(JobKind.JOB_KIND_TRAINING)
        .setPage(PageRequest.newBuilder().setPageSize(1000)).build()).getJobsList();
    assertTrue(training.stream().noneMatch(j -> j.getId().equals(done.getId())));
  }

  /** A worker killed in the middle of the run: an Error, so nothing of the job's own failure handling runs. */
  static final class SimulatedCrash extends Error {
    SimulatedCrash() {
      super("worker killed");
    }
  }

  /** The injected runtime client, killing the worker on Score call number {@code scoreCalls + 1}. */
  private RuntimeClient crashingAfter(int scoreCalls) {
    AtomicInteger calls = new AtomicInteger();
    return (RuntimeClient) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RuntimeClient.class},
        (proxy, method, args) -> {
          if (method.getName().equals("score") && calls.incrementAndGet() > scoreCalls) {
            throw new SimulatedCrash();
          }
          try {
            return method.invoke(runtime, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void aKilledWorkersEvaluationIsResumedByAnotherFromItsLastBatchWithTheSameResult() throws Exception {
    float[] values = prompt(9);
    PromptVersion v = publish("eval-crash", values, Backends.RUNTIME.fingerprint(), true);
    Job job = submit(EvaluationSpec.newBuilder().setVersion(ref(v.getId())).setDataset("eval-target")
        .setBatchSize(3));
    Duration doomedLease = Duration.ofSeconds(2);
    JobRow claimed = jobs.claim("doomed-worker", doomedLease, 5).orElseThrow();
    assertEquals(job.getId(), claimed.id().toString());
    JobRunner.Deps real = worker.deps();
    ScheduledExecutorService doomedHeartbeats = Executors.newSingleThreadScheduledExecutor();
    // 9 records in batches of 3, one Score call each: killed during the third batch, after two were stored.
    JobRunner doomed = new JobRunner(new JobRunner.Deps(real.jobs(), real.checkpoints(), real.datasets(),
        crashingAfter(2), real.registry(), real.config(), doomedHeartbeats, real.evaluations()), claimed,
        "doomed-worker", () -> false);
    assertThrows(SimulatedCrash.class, doomed::run);
    doomedHeartbeats.shutdownNow();
    assertTrue(doomedHeartbeats.awaitTermination(30, TimeUnit.SECONDS));
    assertEquals(JobState.RUNNING, trainer.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
        .getState());

    assertEquals(0, worker.poll(), "nobody takes it while the dead worker's lease runs");
    leaseClock.advance(real.config().leaseDuration().plus(doomedLease).plusSeconds(1));
    Backends.REGISTRY.failNext(1); // and a transient registry outage on the way
    Job done = runToEnd(job.getId());

    assertEquals(JobState.SUCCEEDED, done.getState(), done.getReason());
    assertEquals(2, done.getAttempts());
    assertEquals(referenceAccuracy(values, 9), done.getEvaluationOutcome().getValue(), 0);
    assertEquals(9, done.getEvaluationOutcome().getExamples());
    assertEquals(v.getId(), done.getEvaluationOutcome().getVersionId());
    assertEquals(1, Backends.REGISTRY.recordCalls().stream().filter(r -> r.getJobId().equals(job.getId())).count());
    List<JobEvent> events = trainer.listJobEvents(ListJobEventsRequest.newBuilder().setJobId(job.getId())
        .setPage(PageRequest.newBuilder().setPageSize(100)).build()).getEventsList();
    assertEquals(List.of(3L, 6L, 9L), events.stream().filter(JobEvent::hasEvaluationProgress)
        .map(x -> x.getEvaluationProgress().getExamplesDone()).toList(), "the resumed worker did not redo 0..5");
    assertTrue(events.stream().anyMatch(x -> x.hasState()
        && x.getState().getReason().equals("resuming at example 6 of 9")), events.toString());
  }

  @Test
  void theVersionIsResolvedWhenTheJobStartsAndAModelMismatchFailsIt() throws Exception {
    publish("eval-moving", prompt(5), Backends.RUNTIME.fingerprint(), true);
    Job submitted = submit(EvaluationSpec.newBuilder().setVersion(ref("eval-moving@prod"))
        .setDataset(withValidation.getId()));
    // Before a worker starts it, the alias (here: the newest version) moves to a version of another model.
    publish("eval-moving", prompt(6), "some-other-model", true);

    Job done = runToEnd(submitted.getId());

    assertEquals(JobState.FAILED, done.getState());
    assertTrue(done.getReason().startsWith("MODEL_MISMATCH: "), done.getReason());
    assertTrue(done.getReason().contains("some-other-model"), done.getReason());
    assertFalse(done.hasEvaluationOutcome());
  }

  @Test
  void submitRefusesWhatCanBeCheckedNow() {
    PromptVersion formatless = publish("eval-formatless", prompt(1), Backends.RUNTIME.fingerprint(), false);
    publish("eval-ok", prompt(2), Backends.RUNTIME.fingerprint(), true);

    assertRefused(Status.Code.INVALID_ARGUMENT, "version selector is required",
        EvaluationSpec.newBuilder().setDataset("eval-target"));
    assertRefused(Status.Code.NOT_FOUND, "nope:1", EvaluationSpec.newBuilder().setVersion(ref("nope:1"))
        .setDataset("eval-target"));
    assertRefused(Status.Code.NOT_FOUND, "no-such-data", EvaluationSpec.newBuilder().setVersion(ref("eval-ok:1"))
        .setDataset("no-such-data"));
    assertRefused(Status.Code.INVALID_ARGUMENT, "no validation split",
        EvaluationSpec.newBuilder().setVersion(ref("eval-ok:1")).setDataset("eval-train-only"));
    assertRefused(Status.Code.INVALID_ARGUMENT, "task_format is required",
        EvaluationSpec.newBuilder().setVersion(ref(formatless.getId())).setDataset("eval-target"));
    assertRefused(Status.Code.INVALID_ARGUMENT, "batch_size",
        EvaluationSpec.newBuilder().setVersion(ref("eval-ok:1")).setDataset("eval-target").setBatchSize(-1));
    assertRefused(Status.Code.INVALID_ARGUMENT, "max_examples",
        EvaluationSpec.newBuilder().setVersion(ref("eval-ok:1")).setDataset("eval-target").setMaxExamples(-2));
    assertRefused(Status.Code.INVALID_ARGUMENT, "does not fit task format",
        EvaluationSpec.newBuilder().setVersion(ref("eval-ok:1")).setDataset("eval-target")
            .setTaskFormat(TaskFormat.newBuilder().setName("rte")));
    StatusRuntimeException viewer = assertThrows(StatusRuntimeException.class, () -> TestClients.trainer(ch, VIEWER)
        .submitEvaluation(SubmitEvaluationRequest.newBuilder().setSpec(EvaluationSpec.newBuilder()
            .setVersion(ref("eval-ok:1")).setDataset("eval-target")).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, viewer.getStatus().getCode());

    // The train split of a dataset without validation, and an explicit format for the formatless version: fine.
    Job ok = submit(EvaluationSpec.newBuilder().setVersion(ref(formatless.getId())).setDataset("eval-train-only")
        .setSplit(Split.TRAIN).setTaskFormat(TaskFormat.newBuilder().setName("sst2")));
    assertEquals(JobState.QUEUED, ok.getState());
    assertEquals(Split.TRAIN, ok.getEvaluation().getSplit());
    assertEquals(32, ok.getEvaluation().getBatchSize());
  }

  private void assertRefused(Status.Code code, String messagePart, EvaluationSpec.Builder spec) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> submit(spec));
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(messagePart), e.getStatus().getDescription());
    if (code == Status.Code.INVALID_ARGUMENT) {
      assertEquals(ErrorReason.INVALID_ARGUMENT, TestClients.reason(e));
    }
  }
}
