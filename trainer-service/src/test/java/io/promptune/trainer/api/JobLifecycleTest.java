package io.promptune.trainer.api;

import io.promptune.testing.TestKeys;
import io.promptune.testing.EmbeddedDatabaseResource;
import static io.promptune.trainer.api.TestClients.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.promptune.api.v1.CancelJobRequest;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.InitMethod;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.ListJobsRequest;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.VersionInit;
import io.promptune.api.v1.VersionSelector;
import io.promptune.api.v1.WatchJobRequest;
import io.promptune.trainer.checkpoint.CheckpointRepository;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs end to end inside one trainer: submit over gRPC, run by the worker against the runtime and registry over
 * gRPC, published, streamed; a worker killed mid-job is resumed by another and ends with a bit-identical prompt.
 * Tests wait on events (the WatchJob stream, latches), never for time to pass; lease time is a {@link
 * ManualLeaseClock}.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestBackendsResource.class, restrictToAnnotatedClass = false)
class JobLifecycleTest {

  @Inject
  JobWorker worker;

  @Inject
  JobRepository jobs;

  @Inject
  CheckpointRepository checkpoints;

  @Inject
  RuntimeClient runtime;

  @Inject
  DataSource db;

  private ManagedChannel ch;
  private TrainerGrpc.TrainerBlockingStub trainer;
  private static Dataset dataset;
  private final ManualLeaseClock leaseClock = new ManualLeaseClock();

  @BeforeEach
  void setUp() throws Exception {
    QuarkusMock.installMockForType(leaseClock, LeaseClock.class);
    TestClients.finishAllJobs(db);
    Backends.RUNTIME.reset();
    ch = TestClients.channel();
    trainer = TestClients.trainer(ch, ALICE);
    if (dataset == null) {
      dataset = TestClients.upload(ch, ALICE, DatasetHeader.newBuilder().setName("sst2-mini").setFormat(
          DatasetFormat.CSV).build(), TestClients.sst2Csv(40, 0), TestClients.sst2Csv(12, 500), 4096);
    }
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    Backends.RUNTIME.reset();
    ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private JobSpec.Builder spec(String output) {
    return JobSpec.newBuilder().setDataset(dataset.getName())
        .setTaskFormat(TaskFormat.newBuilder().setName("sst2"))
        .setPromptLength(4).setBatchSize(10).setMaxSteps(12).setEvalInterval(4).setCheckpointInterval(4)
        .setSeed(7).setOutputPrompt(output);
  }

  private Job submit(JobSpec.Builder spec) {
    return trainer.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build());
  }

  /** The job once it has ended: WatchJob completes after the job's final event. */
  private Job await(String id) throws Exception {
    List<JobEvent> events = watch(id, 0).get(90, TimeUnit.SECONDS);
    JobState last = events.get(events.size() - 1).getState().getState();
    assertTrue(last == JobState.SUCCEEDED || last == JobState.FAILED || last == JobState.CANCELLED,
        "the stream ended with " + events.get(events.size() - 1));
    Job j = trainer.getJob(GetJobRequest.newBuilder().setJobId(id).build());
    assertEquals(last, j.getState());
    return j;
  }

  private Job runToEnd(Job job) throws Exception {
    assertEquals(1, worker.poll());
    return await(job.getId());
  }

  private static PromptVersion published(Job job) {
    return Backends.REGISTRY.versions().stream().filter(v -> v.getId().equals(job.getPublishedVersionId()))
        .findFirst().orElseThrow();
  }

  private List<JobEvent> allEvents(String jobId, int pageSize) {
    List<JobEvent> out = new ArrayList<>();
    String token = "";
    do {
      var page = trainer.listJobEvents(ListJobEventsRequest.newBuilder().setJobId(jobId)
          .setPage(PageRequest.newBuilder().setPageSize(pageSize).setPageToken(token)).build());
      out.addAll(page.getEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  @Test
  void submitFillsInThePapersDefaults() {
    Job job = submit(JobSpec.newBuilder().setDataset(dataset.getId()).setMaxSteps(50)
        .setTaskFormat(TaskFormat.newBuilder().setName("sst2")));
    JobSpec s = job.getSpec();
    assertEquals(JobState.QUEUED, job.getState());
    assertEquals("alice", job.getSubmittedBy());
    assertEquals(Backends.RUNTIME.fingerprint(), s.getBaseModelFingerprint());
    assertEquals(100, s.getPromptLength());
    assertEquals(32, s.getBatchSize());
    assertEquals(100, s.getEvalInterval());
    assertEquals(100, s.getCheckpointInterval());
    assertEquals(0.3f, s.getOptimizer().getAdafactor().getLearningRate());
    assertEquals(0.8f, s.getOptimizer().getAdafactor().getDecayRate());
    assertEquals(1e-5f, s.getOptimizer().getAdafactor().getWeightDecay());
    assertEquals(1.0f, s.getOptimizer().getAdafactor().getClipThreshold());
    assertEquals(0f, s.getOptimizer().getAdafactor().getBeta1());
    assertTrue(s.getSchedule().hasConstant());
    assertTrue(s.getInit().hasClassLabels());
    assertEquals(EvalMode.RANK_CLASSIFICATION, s.getEvalMode());
    assertEquals("sst2 sentence: {sentence}", s.getTaskFormat().getInputTemplate());
    assertEquals(List.of("negative", "positive"), s.getTaskFormat().getLabelsList());
    assertEquals(dataset.getId(), s.getDataset());
    assertEquals("job-" + job.getId(), s.getOutputPrompt());
    assertEquals(Truncation.REJECT, s.getTruncation());
    assertEquals("sst2", s.getTask());

    Job cancelled = trainer.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).setReason("oops").build());
    assertEquals(JobState.CANCELLED, cancelled.getState());
    assertEquals("cancelled by alice: oops", cancelled.getReason());
    var again = assertThrows(StatusRuntimeException.class,
        () -> trainer.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, again.getStatus().getCode());
    assertEquals(ErrorReason.JOB_STATE, TestClients.reason(again));
    assertTrue(trainer.listJobs(ListJobsRequest.newBuilder().addStates(JobState.CANCELLED).build()).getJobsList()
        .stream().anyMatch(j -> j.getId().equals(job.getId())));
    assertTrue(trainer.listJobs(ListJobsRequest.newBuilder().addStates(JobState.SUCCEEDED).build()).getJobsList()
        .stream().noneMatch(j -> j.getId().equals(job.getId())));
  }

  @Test
  void submitRejectsBadJobs() {
    var mismatch = assertThrows(StatusRuntimeException.class,
        () -> submit(spec("x").setBaseModelFingerprint("not-the-runtimes-model")));
    assertEquals(Status.Code.FAILED_PRECONDITION, mismatch.getStatus().getCode());
    assertEquals(ErrorReason.MODEL_MISMATCH, TestClients.reason(mismatch));

    var noSteps = assertThrows(StatusRuntimeException.class, () -> submit(spec("x").setMaxSteps(0)));
    assertEquals(Status.Code.INVALID_ARGUMENT, noSteps.getStatus().getCode());

    var fields = assertThrows(StatusRuntimeException.class,
        () -> submit(spec("x").setTaskFormat(TaskFormat.newBuilder().setName("rte"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, fields.getStatus().getCode());
    assertTrue(fields.getStatus().getDescription().contains("[sentence1, sentence2]"),
        fields.getStatus().getDescription());

    var labels = assertThrows(StatusRuntimeException.class, () -> submit(spec("x")
        .setTaskFormat(TaskFormat.newBuilder().setName("sst2").putLabelMap("1", "positive"))));
    assertTrue(labels.getStatus().getDescription().contains("train record 2: label_map has no entry for \"0\""),
        labels.getStatus().getDescription());

    var noDataset = assertThrows(StatusRuntimeException.class, () -> submit(spec("x").setDataset("nope")));
    assertEquals(Status.Code.NOT_FOUND, noDataset.getStatus().getCode());

    var viewer = assertThrows(StatusRuntimeException.class, () -> TestClients.trainer(ch, TestClients.VIEWER)
        .submitJob(SubmitJobRequest.newBuilder().setSpec(spec("x")).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, viewer.getStatus().getCode());

    var noVersion = assertThrows(StatusRuntimeException.class, () -> submit(spec("x").setInit(PromptInit.newBuilder()
        .setFromVersion(VersionInit.newBuilder().setVersion(VersionSelector.newBuilder().setRef("ghost:1"))))));
    assertEquals(Status.Code.NOT_FOUND, noVersion.getStatus().getCode());
  }

  @Test
  void aJobTrainsEvaluatesPublishesAndRecordsItsEvents() throws Exception {
    String name = "sst2-" + UUID.randomUUID().toString().substring(0, 8);
    Job done = runToEnd(submit(spec(name)));
    assertEquals(JobState.SUCCEEDED, done.getState(), done.getReason());
    assertEquals(12, done.getStep());
    assertEquals(1, done.getAttempts());
    assertTrue(done.getBestStep() > 0);
    PromptVersion v = published(done);
    assertEquals(name, v.getPromptName());
    assertEquals(done.getId(), v.getTrainingJobId());
    assertEquals(InitMethod.CLASS_LABELS, v.getInitMethod());
    assertEquals(List.of(4L, 8L), v.getTensor().getShapeList());
    assertEquals(Backends.RUNTIME.fingerprint(), v.getBaseModelFingerprint());
    assertEquals("alice", v.getCreatedBy());
    assertTrue(v.getMetricsMap().containsKey("accuracy"));
    assertEquals(done.getBestMetric(), v.getMetricsMap().get("accuracy"));
    assertEquals("adafactor", v.getHyperparametersMap().get("optimizer"));
    assertEquals("0.3", v.getHyperparametersMap().get("learning_rate"));
    assertEquals("7", v.getHyperparametersMap().get("seed"));

    List<JobEvent> events = allEvents(done.getId(), 7);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).getSequence());
      assertEquals(done.getId(), events.get(i).getJobId());
    }
    assertEquals(JobState.QUEUED, events.get(0).getState().getState());
    assertEquals(JobState.RUNNING, events.get(1).getState().getState());
    assertEquals(12, events.stream().filter(JobEvent::hasStep).count());
    assertEquals(List.of(4, 8, 12), events.stream().filter(JobEvent::hasEval).map(e -> e.getEval().getStep()).toList());
    assertEquals(List.of(0, 4, 8, 12),
        events.stream().filter(JobEvent::hasCheckpoint).map(e -> e.getCheckpoint().getStep()).toList());
    JobEvent pub = events.stream().filter(JobEvent::hasPublished).findFirst().orElseThrow();
    assertEquals(v.getId(), pub.getPublished().getVersionId());
    JobEvent last = events.get(events.size() - 1);
    assertEquals(JobState.SUCCEEDED, last.getState().getState());
    assertTrue(events.stream().filter(JobEvent::hasStep).allMatch(e -> e.getStep().getLearningRate() > 0.29f
        && e.getStep().getGradNorm() > 0 && Float.isFinite(e.getStep().getLoss())));

    // WatchJob on a finished job replays from the requested sequence and completes.
    List<JobEvent> replay = watch(done.getId(), 5).get(30, TimeUnit.SECONDS);
    assertEquals(events.subList(4, events.size()), replay);
  }

  private CompletableFuture<List<JobEvent>> watch(String jobId, long from) {
    return watch(jobId, from, e -> {});
  }

  /** Streams the job's events to {@code each} as they come; completes with all of them when the job has ended. */
  private CompletableFuture<List<JobEvent>> watch(String jobId, long from, Consumer<JobEvent> each) {
    CompletableFuture<List<JobEvent>> result = new CompletableFuture<>();
    List<JobEvent> got = new ArrayList<>();
    TrainerGrpc.newStub(ch).withInterceptors(TestKeys.serviceActingFor(ALICE))
        .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).setFromSequence(from).build(), new StreamObserver<>() {
          @Override
          public void onNext(JobEvent e) {
            got.add(e);
            each.accept(e);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.complete(got);
          }
        });
    return result;
  }

  @Test
  void watchFollowsARunningJobLiveUntilItEnds() throws Exception {
    Job job = submit(spec("live-" + UUID.randomUUID().toString().substring(0, 8)).setMaxSteps(8));
    Backends.RUNTIME.delay(30);
    CountDownLatch queuedSeen = new CountDownLatch(1);
    CompletableFuture<List<JobEvent>> stream = watch(job.getId(), 0, e -> queuedSeen.countDown());
    // The watch has replayed the QUEUED event and stays open while the job waits for a worker.
    assertTrue(queuedSeen.await(30, TimeUnit.SECONDS), "the watch replays the stored QUEUED event");
    assertTrue(!stream.isDone());
    assertEquals(1, worker.poll());
    List<JobEvent> events = stream.get(60, TimeUnit.SECONDS);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).getSequence());
    }
    assertEquals(8, events.stream().filter(JobEvent::hasStep).count());
    assertEquals(JobState.SUCCEEDED, events.get(events.size() - 1).getState().getState());
  }

  /** Dies like a killed process: no cleanup, no release; the lease just stops being renewed. */
  static final class SimulatedCrash extends Error {
    SimulatedCrash() {
      super("worker killed");
    }
  }

  private RuntimeClient crashingAfter(int forwardBackwardCalls) {
    AtomicInteger calls = new AtomicInteger();
    return (RuntimeClient) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RuntimeClient.class},
        (proxy, method, args) -> {
          if (method.getName().equals("forwardBackward") && calls.incrementAndGet() > forwardBackwardCalls) {
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
  void aKilledWorkersJobIsResumedByAnotherAndEndsBitIdentical() throws Exception {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    // Reference: the same job, uninterrupted.
    Job reference = runToEnd(submit(spec("ref-" + tag)));
    assertEquals(JobState.SUCCEEDED, reference.getState(), reference.getReason());

    Job job = submit(spec("crash-" + tag));
    Duration doomedLease = Duration.ofSeconds(2);
    JobRow claimed = jobs.claim("doomed-worker", doomedLease, 5).orElseThrow();
    assertEquals(job.getId(), claimed.id().toString());
    JobRunner.Deps real = worker.deps();
    // The doomed worker's own heartbeat thread: stopped after the crash, so no late renewal can land.
    ScheduledExecutorService doomedHeartbeats = Executors.newSingleThreadScheduledExecutor();
    // Batches of 10 with at most 8 examples per request: 2 ForwardBackward calls a step. Step 4 also evaluates (2 forward-only calls), so call 15 is inside step 7.
    JobRunner doomed = new JobRunner(new JobRunner.Deps(real.jobs(), real.checkpoints(), real.datasets(),
        crashingAfter(14), real.registry(), real.config(), doomedHeartbeats, real.evaluations()), claimed,
        "doomed-worker", () -> false);
    assertThrows(SimulatedCrash.class, doomed::run);
    doomedHeartbeats.shutdownNow();
    assertTrue(doomedHeartbeats.awaitTermination(30, TimeUnit.SECONDS));
    Job dead = trainer.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build());
    assertEquals(JobState.RUNNING, dead.getState());
    assertEquals(6, dead.getStep());
    assertEquals(4, checkpoints.latest(claimed.id()).orElseThrow().step());

    // While the lease runs, nobody else may take it; after it expires the next worker resumes it, through
    // transient runtime and registry outages.
    assertEquals(0, worker.poll());
    // The lease renewed last by the doomed worker's heartbeat ends at most a lease after now.
    leaseClock.advance(real.config().leaseDuration().plus(doomedLease).plusSeconds(1));
    Backends.RUNTIME.failNext(3, Status.Code.UNAVAILABLE);
    Backends.REGISTRY.failNext(2);
    Job resumed = runToEnd(job);
    assertEquals(JobState.SUCCEEDED, resumed.getState(), resumed.getReason());
    assertEquals(2, resumed.getAttempts());
    assertEquals(12, resumed.getStep());

    PromptVersion a = published(reference);
    PromptVersion b = published(resumed);
    assertEquals(a.getTensor().getData(), b.getTensor().getData(), "bit-identical prompt");
    assertEquals(a.getSha256(), b.getSha256());
    assertEquals(a.getMetricsMap(), b.getMetricsMap());
    assertEquals(reference.getBestStep(), resumed.getBestStep());
    assertEquals(reference.getBestMetric(), resumed.getBestMetric());
    List<String> reasons = allEvents(job.getId(), 100).stream().filter(JobEvent::hasState)
        .map(e -> e.getState().getReason()).toList();
    assertTrue(reasons.contains("resuming from the checkpoint at step 4"), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.startsWith("resumed after the lease of doomed-worker expired")),
        reasons.toString());
  }

  @Test
  void nanLossFailsTheJobWithNonFinite() throws Exception {
    Backends.RUNTIME.nanFromForwardBackward(5);
    Job failed = runToEnd(submit(spec("nan-" + UUID.randomUUID().toString().substring(0, 8))));
    assertEquals(JobState.FAILED, failed.getState());
    assertTrue(failed.getReason().startsWith("NON_FINITE: loss is NaN at step 3"), failed.getReason());
    assertEquals("", failed.getPublishedVersionId());
  }

  @Test
  void cancellingARunningJobStopsItAtTheNextStep() throws Exception {
    Backends.RUNTIME.delay(40);
    Job job = submit(spec("cancel-" + UUID.randomUUID().toString().substring(0, 8)).setMaxSteps(500));
    CountDownLatch secondStep = new CountDownLatch(1);
    CompletableFuture<List<JobEvent>> stream = watch(job.getId(), 0, e -> {
      if (e.hasStep() && e.getStep().getStep() >= 2) {
        secondStep.countDown();
      }
    });
    assertEquals(1, worker.poll());
    assertTrue(secondStep.await(30, TimeUnit.SECONDS), "the job reaches step 2");
    Job asked = trainer.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).setReason("enough").build());
    assertEquals(JobState.RUNNING, asked.getState());
    Job done = await(job.getId());
    assertEquals(JobState.CANCELLED, done.getState());
    assertEquals(JobState.CANCELLED, stream.get(30, TimeUnit.SECONDS).getLast().getState().getState());
    assertEquals("cancelled by alice: enough", done.getReason());
    assertTrue(done.getStep() < 500);
    assertEquals("", done.getPublishedVersionId());
  }

  @Test
  void initFromAnotherPromptsVersionIsPinnedAndLinkedAsTransfer() throws Exception {
    float[] src = new float[3 * 8];
    for (int i = 0; i < src.length; i++) {
      src[i] = (i % 5) * 0.1f;
    }
    String source = "source-" + UUID.randomUUID().toString().substring(0, 8);
    PromptVersion sv = Backends.REGISTRY.put(source, src, 3, 8);
    Job job = submit(spec("target-" + UUID.randomUUID().toString().substring(0, 8)).setPromptLength(0)
        .setInit(PromptInit.newBuilder().setFromVersion(VersionInit.newBuilder()
            .setVersion(VersionSelector.newBuilder().setRef(source + "@prod")))));
    assertEquals(3, job.getSpec().getPromptLength());
    assertEquals(sv.getId(), job.getSpec().getInit().getFromVersion().getVersion().getVersionId());
    Job done = runToEnd(job);
    assertEquals(JobState.SUCCEEDED, done.getState(), done.getReason());
    PromptVersion v = published(done);
    assertEquals(InitMethod.FROM_VERSION, v.getInitMethod());
    assertEquals(1, v.getParentsCount());
    assertEquals(sv.getId(), v.getParents(0).getParentVersionId());
    assertEquals(LineageRelation.TRANSFERRED_FROM, v.getParents(0).getRelation());
  }

  @Test
  void forwardBackwardRequestsCarryTheModelFingerprint() {
    // A runtime that swapped its model answers MODEL_MISMATCH rather than training the wrong model.
    var e = assertThrows(StatusRuntimeException.class, () -> runtime.forwardBackward(
        ForwardBackwardRequest.newBuilder().setExpectedModelFingerprint("other").build()));
    assertEquals(ErrorReason.MODEL_MISMATCH, TestClients.reason(e));
  }
}
