package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.StepEvent;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.VersionSelector;
import io.promptune.deploy.HealthProbe;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resume guarantee across real processes: a job whose trainer process is SIGKILLed between two checkpoints is
 * taken over by a new trainer process (after its lease expires), resumes from the last checkpoint and publishes a
 * prompt bit-identical (same sha256 in the registry) to an uninterrupted run of the same spec and seed. The two
 * jobs never run at the same time: the reference runs to the end first.
 */
class TrainerCrashResumeIT {

  /** Checkpoints at 0, 10, 20, ... and at the end. Wide enough that a kill lands between two of them. */
  static final int CHECKPOINT_INTERVAL = 10;
  /** The single-crash job: 24 steps, killed once past step 11 (not a checkpoint step), so steps 11.. are redone. */
  static final int STEPS = 24;
  static final int KILL_AT_STEP = CHECKPOINT_INTERVAL + 1;

  private static final Pattern RESUMING = Pattern.compile("resuming from the checkpoint at step (\\d+)");

  @TempDir
  static Path home;

  static Deployment deployment;

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  static Dataset dataset;

  @BeforeAll
  static void up() throws Exception {
    // A killed worker's job becomes claimable when its lease runs out: keep that short, and poll the queue often.
    deployment = new Deployment("TrainerCrashResumeIT", home, 30300, Map.of(
        "PROMPTUNE_TRAINER_LEASE_DURATION", "3s",
        "PROMPTUNE_TRAINER_HEARTBEAT_INTERVAL", "1s",
        "PROMPTUNE_TRAINER_WORKER_POLL_INTERVAL", "200ms"));
    deployment.up();
    dataset = deployment.uploadJsonl("e2e-resume-sentiment", SentimentData.train(), SentimentData.validation());
  }

  /** Each test starts with every service serving, even if an earlier test failed with its trainer killed. */
  @BeforeEach
  void trainerServing() throws Exception {
    if (!HealthProbe.isServing("127.0.0.1", deployment.grpcPort(9103), "promptune.v1.Trainer")) {
      deployment.up();
      deployment.resetConnectBackoff();
    }
  }

  @AfterAll
  static void down() throws Exception {
    if (deployment != null) {
      deployment.close();
    }
  }

  /**
   * The job: prompt length 6, batch 8 of 40 records (epochs end mid-run, so the data order crosses epochs), fixed
   * seed. Evaluated only at the last step, so the best (published) prompt is the final one and the sha256 check
   * covers every step, also those run after the resume.
   */
  static JobSpec spec(String outputPrompt, int steps) {
    return JobSpec.newBuilder()
        .setDataset(dataset.getId())
        .setTaskFormat(TaskFormat.newBuilder().setName("identity").addAllLabels(SentimentData.LABELS))
        .setPromptLength(6)
        .setInit(PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance()))
        .setBatchSize(8)
        .setMaxSteps(steps)
        .setEvalInterval(steps)
        .setCheckpointInterval(CHECKPOINT_INTERVAL)
        .setSeed(20210418)
        .setOutputPrompt(outputPrompt)
        .setTask("sentiment")
        .build();
  }

  /** An uninterrupted run of {@link #spec} and its events. */
  record Reference(Job job, List<JobEvent> events, PromptVersion version) {}

  /** References by step count, each run to its end before any job of that shape is submitted (never two at once). */
  static final Map<Integer, Reference> REFERENCES = new TreeMap<>();

  static Reference reference(int steps) {
    return REFERENCES.computeIfAbsent(steps, n -> {
      Instant t0 = Instant.now();
      String id = submit("e2e-resume-reference-" + n, n);
      List<JobEvent> events = deployment.watchToEnd(id, Duration.ofMinutes(3));
      Job ref = getJob(id);
      assertEquals(JobState.SUCCEEDED, ref.getState(), ref.getReason() + "\n" + events);
      assertEquals(1, ref.getAttempts());
      PromptVersion v = version(ref.getPublishedVersionId());
      // The premise of the sha256 comparison: what is published is the prompt after the last step.
      assertEquals((double) n, v.getMetricsMap().get("best_step"), 0.0, v.getMetricsMap().toString());
      System.out.printf("[TrainerCrashResumeIT] reference job of %d steps: %d ms%n", n,
          Duration.between(t0, Instant.now()).toMillis());
      return new Reference(ref, events, v);
    });
  }

  @Test
  void sigkilledTrainerJobResumesOnANewProcessBitIdenticalToAnUninterruptedRun() throws Exception {
    Reference ref = reference(STEPS);
    String jobId = submit("e2e-resume-crashed", STEPS);
    killTrainerOnceJobReaches(jobId, KILL_AT_STEP, 1, STEPS);
    startNewTrainer();
    finishAndCheckAgainst(ref, jobId, 2);
  }

  /**
   * An ensemble job (3 members, seeds s, s+1, s+2, every step one ForwardBackward for all of them) SIGKILLed between
   * two checkpoints resumes on a new trainer from its ensemble checkpoint and publishes members bit-identical (same
   * sha256, in member order) to an uninterrupted ensemble run, and an ensemble version over exactly those members.
   */
  @Test
  void sigkilledEnsembleJobResumesWithBitIdenticalMembers() throws Exception {
    String refId = submitEnsemble("e2e-resume-ensemble-reference", STEPS);
    List<JobEvent> refEvents = deployment.watchToEnd(refId, Duration.ofMinutes(5));
    Job ref = getJob(refId);
    assertEquals(JobState.SUCCEEDED, ref.getState(), ref.getReason() + "\n" + refEvents);
    assertEquals(3, ref.getPublishedMemberVersionIdsCount(), ref.toString());

    String jobId = submitEnsemble("e2e-resume-ensemble-crashed", STEPS);
    killTrainerOnceJobReaches(jobId, KILL_AT_STEP, 1, STEPS);
    startNewTrainer();
    List<JobEvent> events = deployment.watchToEnd(jobId, Duration.ofMinutes(5));
    Job job = getJob(jobId);
    assertEquals(JobState.SUCCEEDED, job.getState(), job.getReason() + "\n" + events);
    assertEquals(2, job.getAttempts());
    List<Integer> resumedAt = stepsResumedFrom(events);
    assertEquals(1, resumedAt.size(), events.toString());
    assertEquals(0, resumedAt.get(0) % CHECKPOINT_INTERVAL);
    System.out.printf("[TrainerCrashResumeIT] ensemble job resumed from the checkpoint at step %d%n",
        resumedAt.get(0));
    assertEquals(lossPerStep(refEvents), lossPerStep(events), "per-step (member mean) losses differ");
    assertEquals(evalsPerStep(refEvents), evalsPerStep(events), "evaluations differ from the reference run");
    assertEquals(memberValues(refEvents), memberValues(events), "member dev values differ");
    assertEquals(1, events.stream().filter(JobEvent::hasPublished).count(), "published exactly once: " + events);

    for (int i = 0; i < 3; i++) {
      PromptVersion a = version(ref.getPublishedMemberVersionIds(i));
      PromptVersion b = version(job.getPublishedMemberVersionIds(i));
      assertEquals(a.getSha256(), b.getSha256(), "member " + i + " is not bit-identical to the uninterrupted run's");
      assertEquals(a.getTensor(), b.getTensor());
      assertEquals(Long.toString(20210418L + i), b.getHyperparametersMap().get("seed"));
      assertEquals(jobId, b.getTrainingJobId());
    }
    PromptVersion ensemble = version(job.getPublishedVersionId());
    assertEquals(io.promptune.api.v1.VersionKind.ENSEMBLE, ensemble.getKind());
    assertEquals(job.getPublishedMemberVersionIdsList(), ensemble.getEnsemble().getMembersList().stream()
        .map(m -> m.getVersionId()).toList());
    assertEquals(version(ref.getPublishedVersionId()).getSha256(), ensemble.getSha256(), "same ensemble content");
  }

  private static String submitEnsemble(String outputPrompt, int steps) {
    return deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec(outputPrompt, steps).toBuilder()
        .setEnsembleSize(3)).build()).getId();
  }

  private static Map<Integer, List<Double>> memberValues(List<JobEvent> events) {
    Map<Integer, List<Double>> m = new TreeMap<>();
    for (JobEvent e : events) {
      if (e.hasEval()) {
        m.put(e.getEval().getStep(), e.getEval().getMemberValuesList());
      }
    }
    return m;
  }

  /**
   * Two crashes: the first before the first periodic checkpoint (the job resumes from the step-0 checkpoint, the
   * initialised prompt, without initialising again), the second on the new worker as soon as it is past the next
   * checkpoint it writes. The new worker starts working before {@code promptune up} returns, so the second kill is
   * aimed while {@code up} still waits. About 20 s on 2 cores, so it runs in CI too.
   */
  @Test
  void killedTwiceOnceBeforeTheFirstCheckpointStillBitIdentical() throws Exception {
    int steps = 48;
    Reference ref = reference(steps);
    String jobId = submit("e2e-resume-twice", steps);
    killTrainerOnceJobReaches(jobId, 2, 1, steps);

    CompletableFuture<Cli.Result> up = CompletableFuture.supplyAsync(() -> {
      try {
        return deployment.cli().run("up", "--timeout", "180");
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
    int target = -1;
    Instant deadline = Instant.now().plusSeconds(240);
    while (true) {
      if (up.isDone() && (up.isCompletedExceptionally() || up.join().exitCode() != 0)) {
        throw new AssertionError("`promptune up` failed before the new trainer took the job over: "
            + up.handle((r, e) -> e != null ? e.toString() : r.output()).join() + deployment.logTails(40));
      }
      assertTrue(Instant.now().isBefore(deadline), "the new trainer never took the job over");
      deployment.resetConnectBackoff();
      Job j;
      try {
        j = deployment.trainer().withDeadlineAfter(2, TimeUnit.SECONDS).getJob(GetJobRequest.newBuilder()
            .setJobId(jobId).build());
      } catch (StatusRuntimeException e) {
        Thread.sleep(20);
        continue; // the new trainer is not listening yet
      }
      if (j.getAttempts() == 2 && target < 0) {
        target = (j.getStep() / CHECKPOINT_INTERVAL + 1) * CHECKPOINT_INTERVAL + 1; // past the next checkpoint
        assertTrue(target + CHECKPOINT_INTERVAL < steps, "too late to aim a kill: " + j);
      }
      if (target > 0 && j.getStep() >= target || Deployment.terminal(j.getState())) {
        deployment.kill9("trainer");
        assertEquals(JobState.RUNNING, j.getState(), j.toString());
        System.out.printf("[TrainerCrashResumeIT] SIGKILLed the new trainer with attempt 2 at step >= %d%n",
            j.getStep());
        break;
      }
      Thread.sleep(20);
    }
    System.out.println("[TrainerCrashResumeIT] the interrupted `up`: " + up.get(5, TimeUnit.MINUTES).output());
    startNewTrainer();
    List<Integer> resumedAt = finishAndCheckAgainst(ref, jobId, 3);
    assertEquals(List.of(0, target - 1), resumedAt, "resumed from the step-0 checkpoint, then from step "
        + (target - 1));
  }

  /**
   * The database dies under a running job: SIGKILL of the PostgreSQL server itself (not of the JVM that launched
   * it). {@code status} reports the database down, {@code up} starts it again on the same data, and the job (whose
   * worker gives it up on the database error and takes it again once its lease has run out) resumes from its last
   * checkpoint and publishes the uninterrupted run's prompt, bit for bit.
   */
  @Test
  void sigkilledDatabaseIsRestartedByUpAndTheJobStillEndsBitIdentical() throws Exception {
    Reference ref = reference(STEPS);
    String jobId = submit("e2e-resume-db-killed", STEPS);
    Job beforeKill = deployment.awaitJob(jobId, Duration.ofMinutes(3), "step >= " + KILL_AT_STEP,
        j -> j.getStep() >= KILL_AT_STEP || Deployment.terminal(j.getState()));
    ProcessHandle postmaster = deployment.postmaster();
    postmaster.destroyForcibly();
    postmaster.onExit().get(30, TimeUnit.SECONDS);
    assertEquals(JobState.RUNNING, beforeKill.getState(), "the job must still run when the database dies: "
        + beforeKill);
    System.out.printf("[TrainerCrashResumeIT] SIGKILLed the PostgreSQL server (pid %d) with the job at step >= %d%n",
        postmaster.pid(), beforeKill.getStep());

    Cli.Result status = deployment.cli().run("status");
    assertEquals(3, status.exitCode(), status.output());
    String pgHealth = status.output().lines().filter(l -> l.startsWith("postgres")).findFirst()
        .map(l -> l.trim().split("\\s+")[2]).orElse("?");
    assertTrue(List.of("STOPPED", "NOT_SERVING").contains(pgHealth), status.output());

    Instant t0 = Instant.now();
    deployment.up();
    deployment.resetConnectBackoff();
    ProcessHandle restarted = deployment.postmaster();
    assertNotEquals(postmaster.pid(), restarted.pid());
    System.out.printf("[TrainerCrashResumeIT] `up` restarted PostgreSQL (pid %d) in %d ms%n", restarted.pid(),
        Duration.between(t0, Instant.now()).toMillis());

    List<JobEvent> events = deployment.watchToEnd(jobId, Duration.ofMinutes(3));
    Job job = getJob(jobId);
    assertEquals(JobState.SUCCEEDED, job.getState(), job.getReason() + "\n" + events);
    System.out.printf("[TrainerCrashResumeIT] job after the database restart: %d attempt(s), resumed from %s%n",
        job.getAttempts(), stepsResumedFrom(events));
    assertEquals(lossPerStep(ref.events()), lossPerStep(events), "per-step losses differ from the reference run");
    PromptVersion v = version(job.getPublishedVersionId());
    assertEquals(ref.version().getSha256(), v.getSha256(), "not bit-identical to the uninterrupted run");
    assertEquals(ref.version().getTensor(), v.getTensor());
  }

  private static String submit(String outputPrompt, int steps) {
    return deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec(outputPrompt, steps)).build())
        .getId();
  }

  /** Waits until attempt {@code attempt} of the job has recorded step {@code step}, then SIGKILLs the trainer. */
  private static void killTrainerOnceJobReaches(String jobId, int step, int attempt, int steps) throws Exception {
    long pid = deployment.process("trainer").pid();
    Job beforeKill = deployment.awaitJob(jobId, Duration.ofMinutes(3), "attempt " + attempt + " at step >= " + step,
        j -> (j.getAttempts() == attempt && j.getStep() >= step) || Deployment.terminal(j.getState()));
    deployment.kill9("trainer");
    assertEquals(JobState.RUNNING, beforeKill.getState(), "the job must still be running when its trainer is "
        + "killed, else this test proves nothing: " + beforeKill);
    assertTrue(beforeKill.getStep() < steps, beforeKill.toString());
    System.out.printf("[TrainerCrashResumeIT] SIGKILLed trainer pid %d with attempt %d of the job at step >= %d%n",
        pid, attempt, beforeKill.getStep());
  }

  /** {@code promptune up} again: it starts only what is not running, here a new trainer process. */
  private static void startNewTrainer() throws Exception {
    Instant t0 = Instant.now();
    deployment.up();
    deployment.resetConnectBackoff();
    System.out.printf("[TrainerCrashResumeIT] new trainer pid %d serving after %d ms%n",
        deployment.process("trainer").pid(), Duration.between(t0, Instant.now()).toMillis());
  }

  /**
   * Watches the job to its end and checks the resume story in its events and its result against the reference:
   * every resume starts right after a checkpoint that lies before the killed worker's last step (so steps are
   * redone), redone steps repeat the killed worker's loss bits, every step's final loss and every evaluation equal
   * the reference's, and the published prompt has the reference's sha256.
   */
  private static List<Integer> finishAndCheckAgainst(Reference reference, String jobId, int attempts)
      throws Exception {
    Instant t0 = Instant.now();
    List<JobEvent> events = deployment.watchToEnd(jobId, Duration.ofMinutes(3));
    Job job = getJob(jobId);
    System.out.printf("[TrainerCrashResumeIT] job finished %d ms after the last restart%n",
        Duration.between(t0, Instant.now()).toMillis());
    assertEquals(JobState.SUCCEEDED, job.getState(), job.getReason() + "\n" + events);
    assertEquals(attempts, job.getAttempts(), "one claim per worker: " + job);
    int steps = reference.job().getSpec().getMaxSteps();
    assertEquals(steps, job.getStep());

    // Split the log by claim: attempt 1 = "claimed", attempt k = "resumed after the lease ... (attempt k)".
    List<JobEvent> claims = events.stream().filter(e -> e.hasState() && e.getState().getState() == JobState.RUNNING
        && !RESUMING.matcher(e.getState().getReason()).find()).toList();
    assertEquals(attempts, claims.size(), "one claim event per attempt: " + claims);
    List<List<StepEvent>> stepsByAttempt = new ArrayList<>();
    for (JobEvent e : events) {
      if (claims.contains(e)) {
        stepsByAttempt.add(new ArrayList<>());
      } else if (e.hasStep()) {
        assertTrue(!stepsByAttempt.isEmpty(), "a step before the first claim: " + events);
        stepsByAttempt.get(stepsByAttempt.size() - 1).add(e.getStep());
      }
    }
    List<Integer> resumedAt = stepsResumedFrom(events);
    assertEquals(attempts - 1, resumedAt.size(), "one \"resuming from the checkpoint at step\" event per "
        + "resume: " + events);
    for (int k = 1; k < attempts; k++) {
      JobEvent claim = claims.get(k);
      assertTrue(claim.getState().getReason().contains("attempt " + (k + 1)), claim.toString());
      assertNotEquals(claims.get(k - 1).getState().getWorker(), claim.getState().getWorker(),
          "attempt " + (k + 1) + " must run on another worker (process): " + claims);
      List<StepEvent> killed = stepsByAttempt.get(k - 1);
      List<StepEvent> resumed = stepsByAttempt.get(k);
      int from = resumedAt.get(k - 1);
      int lastBeforeKill = killed.get(killed.size() - 1).getStep();
      System.out.printf("[TrainerCrashResumeIT] attempt %d got to step %d; attempt %d resumed from the checkpoint"
          + " at step %d%n", k, lastBeforeKill, k + 1, from);
      assertEquals(0, from % CHECKPOINT_INTERVAL, "resumed from step " + from + ", not a checkpoint step");
      assertTrue(from < lastBeforeKill, "the kill must fall between checkpoints (resumed from " + from
          + ", killed after step " + lastBeforeKill + ") so that steps are redone");
      assertEquals(from + 1, resumed.get(0).getStep(), "the new worker continues right after the checkpoint");
      Map<Integer, Float> before = new TreeMap<>();
      killed.forEach(s -> before.put(s.getStep(), s.getLoss()));
      for (StepEvent s : resumed) {
        if (before.containsKey(s.getStep())) {
          assertEquals(Float.floatToRawIntBits(before.get(s.getStep())), Float.floatToRawIntBits(s.getLoss()),
              "step " + s.getStep() + " redone after the resume gave a different loss");
        }
      }
    }
    assertEquals(lossPerStep(reference.events()), lossPerStep(events),
        "per-step losses differ from the reference run");
    assertEquals(evalsPerStep(reference.events()), evalsPerStep(events),
        "evaluations differ from the reference run");

    // The published prompt is the reference's, bit for bit.
    PromptVersion ref = reference.version();
    PromptVersion resumed = version(job.getPublishedVersionId());
    assertEquals(jobId, resumed.getTrainingJobId());
    assertEquals(ref.getSha256(), resumed.getSha256(), "the resumed job's prompt is not bit-identical to the"
        + " uninterrupted run's");
    assertEquals(ref.getTensor(), resumed.getTensor());
    assertEquals(ref.getMetricsMap(), resumed.getMetricsMap());
    assertEquals(1, events.stream().filter(JobEvent::hasPublished).count(), "published exactly once: " + events);
    return resumedAt;
  }

  private static List<Integer> stepsResumedFrom(List<JobEvent> events) {
    List<Integer> steps = new ArrayList<>();
    for (JobEvent e : events) {
      Matcher m = RESUMING.matcher(e.getState().getReason());
      if (e.hasState() && m.find()) {
        steps.add(Integer.parseInt(m.group(1)));
      }
    }
    return steps;
  }

  private static Job getJob(String id) {
    return deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(id).build());
  }

  private static PromptVersion version(String id) {
    return deployment.registry().getVersion(GetVersionRequest.newBuilder().setVersion(VersionSelector.newBuilder()
        .setVersionId(id)).build());
  }

  /** step → loss bits of the last StepEvent for that step (a resumed run writes redone steps again). */
  private static Map<Integer, Integer> lossPerStep(List<JobEvent> events) {
    Map<Integer, Integer> m = new TreeMap<>();
    for (JobEvent e : events) {
      if (e.hasStep()) {
        m.put(e.getStep().getStep(), Float.floatToRawIntBits(e.getStep().getLoss()));
      }
    }
    return m;
  }

  private static Map<Integer, String> evalsPerStep(List<JobEvent> events) {
    Map<Integer, String> m = new TreeMap<>();
    for (JobEvent e : events) {
      if (e.hasEval()) {
        EvalEvent v = e.getEval();
        m.put(v.getStep(), v.getMetric() + "=" + v.getValue() + " best=" + v.getBest() + " loss="
            + Float.floatToRawIntBits(v.getLoss()));
      }
    }
    return m;
  }
}
