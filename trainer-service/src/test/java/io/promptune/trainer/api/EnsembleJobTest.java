package io.promptune.trainer.api;

import static io.promptune.trainer.api.TestClients.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.ForwardBackwardRequest;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.api.v1.VersionKind;
import io.promptune.testing.EmbeddedDatabaseResource;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ensemble training jobs end to end inside one trainer: submit, one ForwardBackward per step for all members,
 * members and the ensemble published with their dev metrics recorded, and a killed worker's ensemble job resumed
 * by another worker ending bit-identical to an uninterrupted one.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestBackendsResource.class, restrictToAnnotatedClass = false)
class EnsembleJobTest {

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
      dataset = TestClients.upload(ch, ALICE, DatasetHeader.newBuilder().setName("sst2-ensemble").setFormat(
          DatasetFormat.CSV).build(), TestClients.sst2Csv(40, 0), TestClients.sst2Csv(12, 500), 4096);
    }
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    Backends.RUNTIME.reset();
    ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Two members of batch 4: 8 examples a step, the toy runtime's per-request limit, so one call per step. */
  private JobSpec.Builder spec(String output) {
    return JobSpec.newBuilder().setDataset(dataset.getName())
        .setTaskFormat(TaskFormat.newBuilder().setName("sst2"))
        .setPromptLength(4).setBatchSize(4).setMaxSteps(12).setEvalInterval(4).setCheckpointInterval(4)
        .setSeed(7).setOutputPrompt(output).setEnsembleSize(2);
  }

  private Job submit(JobSpec.Builder spec) {
    return trainer.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build());
  }

  private Job runToEnd(Job job) throws Exception {
    assertEquals(1, worker.poll());
    for (int i = 0; i < 900; i++) { // the worker runs the job on its own thread
      Job j = trainer.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build());
      if (j.getState() == JobState.SUCCEEDED || j.getState() == JobState.FAILED
          || j.getState() == JobState.CANCELLED) {
        return j;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("job " + job.getId() + " did not end");
  }

  private static PromptVersion version(String id) {
    return Backends.REGISTRY.versions().stream().filter(v -> v.getId().equals(id)).findFirst().orElseThrow();
  }

  private List<JobEvent> allEvents(String jobId) {
    List<JobEvent> out = new ArrayList<>();
    String token = "";
    do {
      var page = trainer.listJobEvents(ListJobEventsRequest.newBuilder().setJobId(jobId)
          .setPage(PageRequest.newBuilder().setPageSize(200).setPageToken(token)).build());
      out.addAll(page.getEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  @Test
  void submitRejectsBadEnsembles() {
    var big = assertThrows(StatusRuntimeException.class, () -> submit(spec("x").setEnsembleSize(33)));
    assertEquals(Status.Code.INVALID_ARGUMENT, big.getStatus().getCode());
    assertEquals(ErrorReason.INVALID_ARGUMENT, TestClients.reason(big));
    assertTrue(big.getStatus().getDescription().contains("ensemble_size"), big.getStatus().getDescription());
  }

  @Test
  void anEnsembleJobPublishesItsMembersAndAnEnsembleOverThem() throws Exception {
    String name = "ens-" + UUID.randomUUID().toString().substring(0, 8);
    int before = Backends.RUNTIME.forwardBackwardCalls();
    Job done = runToEnd(submit(spec(name)));
    assertEquals(JobState.SUCCEEDED, done.getState(), done.getReason());
    assertEquals(12, done.getStep());
    assertEquals(2, done.getPublishedMemberVersionIdsCount());

    PromptVersion ens = version(done.getPublishedVersionId());
    assertEquals(VersionKind.ENSEMBLE, ens.getKind());
    assertEquals(CombinationRule.MAJORITY_VOTE, ens.getEnsemble().getRule());
    assertEquals(done.getPublishedMemberVersionIdsList(),
        ens.getEnsemble().getMembersList().stream().map(m -> m.getVersionId()).toList());
    assertEquals(done.getBestMetric(), ens.getMetricsOrThrow("accuracy"));
    for (int i = 0; i < 2; i++) {
      PromptVersion m = version(done.getPublishedMemberVersionIds(i));
      assertEquals(name, m.getPromptName());
      assertEquals(done.getId(), m.getTrainingJobId());
      assertEquals(Integer.toString(7 + i), m.getHyperparametersOrThrow("seed"));
    }
    assertTrue(!version(done.getPublishedMemberVersionIds(0)).getSha256()
        .equals(version(done.getPublishedMemberVersionIds(1)).getSha256()), "members differ");

    List<JobEvent> events = allEvents(done.getId());
    assertEquals(12, events.stream().filter(JobEvent::hasStep).count(), "one step event per ensemble step");
    List<JobEvent> evals = events.stream().filter(JobEvent::hasEval).toList();
    assertEquals(3, evals.size());
    JobEvent bestEval = evals.stream().filter(e -> e.getEval().getBest()).reduce((a, b) -> b).orElseThrow();
    assertEquals(2, bestEval.getEval().getMemberValuesCount());
    JobEvent pub = events.stream().filter(JobEvent::hasPublished).findFirst().orElseThrow();
    assertEquals(done.getPublishedMemberVersionIdsList(), pub.getPublished().getMemberVersionIdsList());

    // The dev metric recorded against the ensemble and each member, keyed by the job.
    List<Evaluation> recorded = Backends.REGISTRY.evaluations().stream()
        .filter(e -> e.getJobId().equals(done.getId())).toList();
    assertEquals(3, recorded.size());
    assertEquals(ens.getId(), recorded.get(0).getVersionId());
    assertEquals(bestEval.getEval().getValue(), recorded.get(0).getValue());
    for (int i = 0; i < 2; i++) {
      assertEquals(done.getPublishedMemberVersionIds(i), recorded.get(i + 1).getVersionId());
      assertEquals(bestEval.getEval().getMemberValues(i), recorded.get(i + 1).getValue());
    }
    assertTrue(recorded.stream().allMatch(e -> e.getDatasetId().equals(dataset.getId())
        && e.getSplit().equals("validation") && e.getMetric().equals("accuracy") && e.getExamples() == 12));
    assertTrue(Backends.RUNTIME.forwardBackwardCalls() - before >= 12);
  }

  @Test
  void aKilledWorkersEnsembleJobResumesBitIdentical() throws Exception {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    Job reference = runToEnd(submit(spec("ens-ref-" + tag)));
    assertEquals(JobState.SUCCEEDED, reference.getState(), reference.getReason());

    Job job = submit(spec("ens-crash-" + tag));
    Duration doomedLease = Duration.ofSeconds(2);
    JobRow claimed = jobs.claim("doomed-worker", doomedLease, 5).orElseThrow();
    assertEquals(job.getId(), claimed.id().toString());
    JobRunner.Deps real = worker.deps();
    ScheduledExecutorService doomedHeartbeats = Executors.newSingleThreadScheduledExecutor();
    JobRunner doomed = new JobRunner(new JobRunner.Deps(real.jobs(), real.checkpoints(), real.datasets(),
        crashingAfter(10), real.registry(), real.config(), doomedHeartbeats, real.evaluations()), claimed, "doomed-worker",
        () -> false);
    assertThrows(SimulatedCrash.class, doomed::run);
    doomedHeartbeats.shutdownNow();
    assertTrue(doomedHeartbeats.awaitTermination(30, TimeUnit.SECONDS));
    int checkpointed = checkpoints.latest(claimed.id()).orElseThrow().step();
    assertTrue(checkpointed > 0 && checkpointed < 12, "checkpoint at " + checkpointed);

    leaseClock.advance(real.config().leaseDuration().plus(doomedLease).plusSeconds(1));
    Job resumed = runToEnd(job);
    assertEquals(JobState.SUCCEEDED, resumed.getState(), resumed.getReason());
    assertEquals(2, resumed.getAttempts());
    for (int i = 0; i < 2; i++) {
      PromptVersion a = version(reference.getPublishedMemberVersionIds(i));
      PromptVersion b = version(resumed.getPublishedMemberVersionIds(i));
      assertEquals(a.getSha256(), b.getSha256(), "member " + i + " bit-identical");
      assertEquals(a.getMetricsMap(), b.getMetricsMap());
    }
    assertEquals(version(reference.getPublishedVersionId()).getSha256(),
        version(resumed.getPublishedVersionId()).getSha256(), "same ensemble content");
    assertEquals(reference.getBestStep(), resumed.getBestStep());
    assertEquals(reference.getBestMetric(), resumed.getBestMetric());
  }

  /** An Error, like the one in JobLifecycleTest: the runner must not catch it as a job failure. */
  static final class SimulatedCrash extends Error {}

  /** The runtime, except that ForwardBackward call number {@code n + 1} (and later) dies like a killed process. */
  private RuntimeClient crashingAfter(int n) {
    AtomicInteger calls = new AtomicInteger();
    return (RuntimeClient) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RuntimeClient.class},
        (proxy, method, args) -> {
          if (method.getName().equals("forwardBackward")) {
            ForwardBackwardRequest r = (ForwardBackwardRequest) args[0];
            if (!r.getForwardOnly()) {
              assertEquals(2, r.getPromptsCount(), "every training call carries both members");
            }
            if (calls.incrementAndGet() > n) {
              throw new SimulatedCrash();
            }
          }
          try {
            return method.invoke(runtime, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
