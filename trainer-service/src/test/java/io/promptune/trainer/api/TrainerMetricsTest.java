package io.promptune.trainer.api;

import static io.promptune.trainer.api.TestClients.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.ListJobEventsRequest;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.TrainerGrpc;
import io.promptune.testing.EmbeddedDatabaseResource;
import io.promptune.trainer.observability.JobStateGauges;
import io.promptune.trainer.queue.JobWorker;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The trainer's promptune_* metrics move by exactly what a job did; the queue depth gauge reads the database. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestBackendsResource.class, restrictToAnnotatedClass = false)
class TrainerMetricsTest {

  @Inject
  JobWorker worker;

  @Inject
  JobStateGauges gauges;

  @Inject
  MeterRegistry registry;

  @Inject
  DataSource db;

  private ManagedChannel ch;
  private TrainerGrpc.TrainerBlockingStub trainer;
  private static Dataset dataset;

  @BeforeEach
  void setUp() throws Exception {
    TestClients.finishAllJobs(db);
    Backends.RUNTIME.reset();
    ch = TestClients.channel();
    trainer = TestClients.trainer(ch, ALICE);
    if (dataset == null) {
      dataset = TestClients.upload(ch, ALICE, DatasetHeader.newBuilder().setName("metrics-" + UUID.randomUUID()
          .toString().substring(0, 8)).setFormat(DatasetFormat.CSV).build(), TestClients.sst2Csv(40, 0),
          TestClients.sst2Csv(12, 500), 4096);
    }
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    Backends.RUNTIME.reset();
    ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  double counter(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  long timerCount(String name, String... tags) {
    Timer t = registry.find(name).tags(tags).timer();
    return t == null ? 0 : t.count();
  }

  double gauge(String name, String... tags) {
    return registry.find(name).tags(tags).gauge().value();
  }

  @Test
  void jobOfNStepsMovesTheCountersByExactlyWhatItDid() throws Exception {
    int steps = 6;
    double steps0 = counter("promptune.trainer.steps");
    long runtime0 = timerCount("promptune.trainer.step", "phase", "runtime");
    long optimizer0 = timerCount("promptune.trainer.step", "phase", "optimizer");
    double retries0 = counter("promptune.trainer.retries", "target", "runtime", "reason", "DEADLINE_EXCEEDED");
    double checkpoints0 = counter("promptune.trainer.checkpoints");
    double bytes0 = counter("promptune.trainer.checkpoint.bytes");
    double succeeded0 = counter("promptune.trainer.jobs.finished", "state", "SUCCEEDED");
    double resumes0 = counter("promptune.trainer.resumes");
    int fb0 = Backends.RUNTIME.forwardBackwardCalls();

    Job job = trainer.submitJob(SubmitJobRequest.newBuilder().setSpec(JobSpec.newBuilder()
        .setDataset(dataset.getName()).setTaskFormat(TaskFormat.newBuilder().setName("sst2")).setPromptLength(4)
        .setBatchSize(10).setMaxSteps(steps).setEvalInterval(100).setCheckpointInterval(4).setSeed(3)
        .setOutputPrompt("metrics-" + UUID.randomUUID().toString().substring(0, 8))).build());
    gauges.refresh();
    assertEquals(1.0, gauge("promptune.trainer.queue.depth"), "the queued job is the queue depth");
    assertEquals(1.0, gauge("promptune.trainer.jobs", "state", "QUEUED"));

    // DEADLINE_EXCEEDED: the runtime channel itself retries UNAVAILABLE on another replica (RuntimePool), so the
    // trainer's own retries are shown with the other transient code.
    Backends.RUNTIME.failNext(2, Status.Code.DEADLINE_EXCEEDED);
    assertEquals(1, worker.poll());
    Job done = await(job.getId());
    assertEquals(JobState.SUCCEEDED, done.getState(), done.getReason());
    for (int i = 0; i < 200 && worker.running() > 0; i++) { // the runner records its last metrics after the row
      Thread.sleep(25);
    }
    assertEquals(0, worker.running());

    assertEquals(steps, counter("promptune.trainer.steps") - steps0);
    assertEquals(steps, timerCount("promptune.trainer.step", "phase", "runtime") - runtime0);
    assertEquals(steps, timerCount("promptune.trainer.step", "phase", "optimizer") - optimizer0);
    assertEquals(2, counter("promptune.trainer.retries", "target", "runtime", "reason", "DEADLINE_EXCEEDED") - retries0);
    long checkpointEvents = events(job.getId()).stream().filter(JobEvent::hasCheckpoint).count();
    assertEquals(checkpointEvents, (long) (counter("promptune.trainer.checkpoints") - checkpoints0));
    assertTrue(counter("promptune.trainer.checkpoint.bytes") - bytes0 > 0);
    assertEquals(1, counter("promptune.trainer.jobs.finished", "state", "SUCCEEDED") - succeeded0);
    assertEquals(0, counter("promptune.trainer.resumes") - resumes0);
    assertTrue(Backends.RUNTIME.forwardBackwardCalls() - fb0 >= steps);

    gauges.refresh();
    assertEquals(0.0, gauge("promptune.trainer.queue.depth"));
    assertEquals(0.0, gauge("promptune.trainer.jobs", "state", "RUNNING"));
    assertTrue(gauge("promptune.trainer.jobs", "state", "SUCCEEDED") >= 1);
  }

  @Test
  void prometheusEndpointServesThePromptuneNames() throws Exception {
    int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/q/metrics"))
        .header("Authorization", "Bearer test-viewer-key").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    for (String name : List.of("promptune_trainer_queue_depth ", "promptune_trainer_jobs{state=\"QUEUED\"}",
        "promptune_trainer_jobs{state=\"FAILED\"}")) {
      assertTrue(r.body().contains(name), name + " missing from /q/metrics");
    }
  }

  private Job await(String id) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      Job j = trainer.getJob(GetJobRequest.newBuilder().setJobId(id).build());
      if (j.getState() == JobState.SUCCEEDED || j.getState() == JobState.FAILED
          || j.getState() == JobState.CANCELLED) {
        return j;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("job " + id + " did not finish");
  }

  private List<JobEvent> events(String jobId) {
    return trainer.listJobEvents(ListJobEventsRequest.newBuilder().setJobId(jobId)
        .setPage(PageRequest.newBuilder().setPageSize(1000)).build()).getEventsList();
  }
}
