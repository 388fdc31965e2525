package io.promptune.trainer.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.EvaluationOutcome;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RecordEvaluationRequest;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.Truncation;
import io.promptune.api.v1.VersionSelector;
import io.promptune.common.errors.ServiceException;
import io.promptune.trainer.clients.Retrier;
import io.promptune.trainer.dataset.DataRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The evaluation runner against a runtime whose answers the test dictates, so every expected value below is
 * counted by hand from the dictated answers, not computed by the code under test.
 */
class EvaluationJobTest {

  private static final String DATASET = "d".repeat(64);
  private static final UUID JOB = UUID.fromString("00000000-0000-0000-0000-0000000000e1");

  /** sst2 records: sentence "s&lt;i&gt;", label i % 2 (so target index i % 2: 0 negative, 1 positive). */
  private static List<DataRecord> sst2(int n) {
    List<DataRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new DataRecord(new TreeMap<>(Map.of("sentence", "s" + i, "label", Integer.toString(i % 2)))));
    }
    return out;
  }

  private static EvaluationSpec spec(VersionSelector version, int maxExamples, int batch, EvalMode mode,
      String format) {
    return EvaluationSpec.newBuilder().setVersion(version).setDataset(DATASET).setSplit(Split.VALIDATION)
        .setTaskFormat(TaskFormat.newBuilder().setName(format)).setMode(mode).setMaxExamples(maxExamples)
        .setBatchSize(batch).setTruncation(Truncation.REJECT).build();
  }

  private static EvaluationJob job(int attempt, EvaluationFakes.Store store, EvaluationFakes.Runtime rt,
      EvaluationFakes.Registry reg, List<DataRecord> records) {
    Retrier retrier = new Retrier(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofSeconds(1), () -> false);
    return new EvaluationJob(new EvaluationJob.Identity(JOB, attempt, "alice", "w" + attempt),
        new EvaluationJob.Deps(store, rt, reg, retrier, (ds, split) -> {
          assertEquals(DATASET, ds);
          assertEquals(Split.VALIDATION, split);
          return records;
        }, 0, () -> false));
  }

  private static VersionSelector ref(String r) {
    return VersionSelector.newBuilder().setRef(r).build();
  }

  @Test
  void rankClassificationAccuracyIsTheShareOfRightAnswers() {
    var reg = new EvaluationFakes.Registry();
    PromptVersion v = reg.single("sent", 3, EvaluationFakes.FINGERPRINT);
    // The runtime picks "positive" (1) for i divisible by 3, else "negative" (0). Over i = 0..6 with label i % 2:
    // 0 wrong, 1 wrong, 2 right, 3 right, 4 right, 5 wrong, 6 wrong -> 3 of 7.
    var rt = new EvaluationFakes.Runtime(i -> i % 3 == 0 ? 1 : 0, 0, null, List.of());
    rt.expectedVersionId = v.getId();
    var store = new EvaluationFakes.Store(JOB, spec(ref("sent:3"), 7, 3, EvalMode.RANK_CLASSIFICATION, "sst2"), 1);

    EvaluationJob.Result r = job(1, store, rt, reg, sst2(10)).run();

    assertEquals(EvaluationJob.Status.SUCCEEDED, r.status());
    EvaluationOutcome o = r.outcome();
    assertEquals(3.0 / 7, o.getValue(), 0);
    assertEquals(7, o.getExamples());
    assertEquals("accuracy", o.getMetric());
    assertEquals("validation", o.getSplit());
    assertEquals(v.getId(), o.getVersionId());
    assertEquals(DATASET, o.getDatasetId());
    assertEquals(100, o.getEvaluationId());
    assertEquals(0, o.getMemberValuesCount());
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), rt.scored, "the first 7 records, in dataset order, once each");
    assertTrue(rt.maxExamplesSeen <= 3, "batches of 3");
    // RecordEvaluation once, against the resolved id, with the trainer's dataset id and the lower-case split.
    assertEquals(1, reg.recorded.size());
    RecordEvaluationRequest rec = reg.recorded.get(0);
    assertEquals(v.getId(), rec.getVersion().getVersionId());
    assertEquals(DATASET, rec.getDatasetId());
    assertEquals("validation", rec.getSplit());
    assertEquals("accuracy", rec.getMetric());
    assertEquals(3.0 / 7, rec.getValue(), 0);
    assertEquals(7, rec.getExamples());
    assertEquals(JOB.toString(), rec.getJobId());
    // Progress after every batch of 3: 3, 6, 7 examples done with 1, 3, 3 right (i=2; i=3,4; none of 6).
    List<long[]> progress = store.events.stream().filter(JobEvent::hasEvaluationProgress)
        .map(e -> new long[] {e.getEvaluationProgress().getExamplesDone(), e.getEvaluationProgress().getCorrect(),
            e.getEvaluationProgress().getExamplesTotal()}).toList();
    assertEquals(3, progress.size());
    assertEquals(List.of(3L, 1L, 7L), List.of(progress.get(0)[0], progress.get(0)[1], progress.get(0)[2]));
    assertEquals(List.of(6L, 3L), List.of(progress.get(1)[0], progress.get(1)[1]));
    assertEquals(List.of(7L, 3L), List.of(progress.get(2)[0], progress.get(2)[1]));
    assertEquals(o, store.record.outcome());
  }

  @Test
  void ensembleValueIsTheRuntimesCombinedAnswerAndMembersAreCountedSeparately() {
    var reg = new EvaluationFakes.Registry();
    PromptVersion ens = reg.ensemble("sent", 4, 3);
    reg.alias("sent@prod", ens);
    // Over i = 0..5 (label i % 2): member 0 picks i % 2 (6 of 6 right), member 1 picks (i + 1) % 2 (0 of 6),
    // member 2 always picks 1 (right for odd i: 3 of 6). The combined answer is the majority, which is 1 for every
    // i (even i: 0,1,1; odd i: 1,0,1) -> right for odd i: 3 of 6.
    var rt = new EvaluationFakes.Runtime(i -> 1, 3, (m, i) -> m == 0 ? i % 2 : m == 1 ? (i + 1) % 2 : 1,
        List.of());
    rt.expectedVersionId = ens.getId();
    rt.maxBatchExamples = 7; // 7 rows per call, 3 per example of this ensemble: batches of 4 go as 2 + 2
    var store = new EvaluationFakes.Store(JOB, spec(ref("sent@prod"), 0, 4, EvalMode.RANK_CLASSIFICATION, "sst2"),
        1);

    EvaluationOutcome o = job(1, store, rt, reg, sst2(6)).run().outcome();

    assertEquals(0.5, o.getValue(), 0);
    assertEquals(List.of(1.0, 0.0, 0.5), o.getMemberValuesList());
    assertEquals(ens.getId(), o.getVersionId());
    assertEquals(6, o.getExamples());
    assertEquals(2, rt.maxExamplesSeen);
  }

  @Test
  void exactMatchComparesTrimmedGreedyOutputWithTheTarget() {
    var reg = new EvaluationFakes.Registry();
    PromptVersion v = reg.single("qa", 1, EvaluationFakes.FINGERPRINT);
    List<DataRecord> records = new ArrayList<>();
    String[] targets = {"yes", "no", "yes", "yes", "maybe"};
    for (int i = 0; i < targets.length; i++) {
      records.add(new DataRecord(new TreeMap<>(Map.of("input", "q s" + i, "target", targets[i]))));
    }
    // The runtime always says "yes" (padded with spaces): right for i = 0, 2, 3 -> 3 of 5.
    var rt = new EvaluationFakes.Runtime(i -> 0, 0, null, List.of("yes"));
    rt.expectedVersionId = v.getId();
    var store = new EvaluationFakes.Store(JOB, spec(VersionSelector.newBuilder().setVersionId(v.getId()).build(), 0,
        2, EvalMode.EXACT_MATCH, "identity"), 1);

    EvaluationOutcome o = job(1, store, rt, reg, records).run().outcome();

    assertEquals(0.6, o.getValue(), 1e-15);
    assertEquals("exact_match", o.getMetric());
  }

  @Test
  void aJobKilledMidwayResumesFromItsLastBatchWithThePinnedVersionAndTheSameOutcome() {
    var reg = new EvaluationFakes.Registry();
    PromptVersion first = reg.single("sent", 1, EvaluationFakes.FINGERPRINT);
    reg.alias("sent@prod", first);
    // Right when i % 4 != 3 (picking the label index i % 2 except there): over i = 0..9 wrong for 3 and 7 -> 8/10.
    var rt = new EvaluationFakes.Runtime(i -> i % 4 == 3 ? 1 - i % 2 : i % 2, 0, null, List.of());
    rt.expectedVersionId = first.getId();
    EvaluationSpec spec = spec(ref("sent@prod"), 0, 3, EvalMode.RANK_CLASSIFICATION, "sst2");

    var uninterrupted = new EvaluationFakes.Store(JOB, spec, 1);
    EvaluationOutcome reference = job(1, uninterrupted, rt, reg, sst2(10)).run().outcome();
    assertEquals(0.8, reference.getValue(), 0);

    var reg2 = new EvaluationFakes.Registry();
    reg2.add(first);
    reg2.alias("sent@prod", first);
    rt.scored.clear();
    var store = new EvaluationFakes.Store(JOB, spec, 1);
    store.crashOnSave = 3; // batches 1 and 2 (examples 0..5) are stored, the worker dies storing batch 3
    assertThrows(IllegalStateException.class, () -> job(1, store, rt, reg2, sst2(10)).run());
    assertEquals(6, store.record.progress().done());
    assertEquals(first.getId(), store.record.versionId());

    // The alias moves meanwhile; the resumed attempt must still evaluate the version it pinned.
    PromptVersion second = reg2.single("sent", 2, EvaluationFakes.FINGERPRINT);
    reg2.alias("sent@prod", second);
    store.holder = 2;
    rt.scored.clear();
    EvaluationJob.Result resumed = job(2, store, rt, reg2, sst2(10)).run();

    assertEquals(EvaluationJob.Status.SUCCEEDED, resumed.status());
    assertEquals(List.of(6, 7, 8, 9), rt.scored, "only the examples after the last stored batch");
    assertEquals(reference.toBuilder().clearEvaluationId().build(),
        resumed.outcome().toBuilder().clearEvaluationId().build());
    assertEquals(1, reg2.recorded.size());
    assertTrue(store.events.stream().anyMatch(e -> e.hasState()
        && e.getState().getReason().equals("resuming at example 6 of 10")));
  }

  @Test
  void anOutcomeAlreadyStoredIsNotRecordedAgain() {
    var reg = new EvaluationFakes.Registry();
    var store = new EvaluationFakes.Store(JOB, spec(ref("x:1"), 0, 3, EvalMode.RANK_CLASSIFICATION, "sst2"), 2);
    EvaluationOutcome stored = EvaluationOutcome.newBuilder().setValue(0.25).setEvaluationId(7).build();
    store.record = new EvaluationRecord(JOB, store.record.spec(), "vid", 4L, new Progress(4, 1, new long[0]), stored);

    EvaluationJob.Result r = job(2, store, null, reg, sst2(4)).run();

    assertEquals(stored, r.outcome());
    assertEquals(0, reg.recorded.size());
  }

  @Test
  void aWorkerThatLostTheJobStopsWithoutRecording() {
    var reg = new EvaluationFakes.Registry();
    PromptVersion v = reg.single("sent", 1, EvaluationFakes.FINGERPRINT);
    var rt = new EvaluationFakes.Runtime(i -> 0, 0, null, List.of());
    rt.expectedVersionId = v.getId();
    var store = new EvaluationFakes.Store(JOB, spec(ref("sent:1"), 0, 3, EvalMode.RANK_CLASSIFICATION, "sst2"), 5);

    EvaluationJob.Result r = job(4, store, rt, reg, sst2(6)).run();

    assertEquals(EvaluationJob.Status.LOST, r.status());
    assertNull(r.outcome());
    assertEquals(0, reg.recorded.size());
  }

  @Test
  void failures() {
    var reg = new EvaluationFakes.Registry();
    reg.single("other", 1, "some-other-model");
    var rt = new EvaluationFakes.Runtime(i -> 0, 0, null, List.of());

    var mismatch = new EvaluationFakes.Store(JOB, spec(ref("other:1"), 0, 3, EvalMode.RANK_CLASSIFICATION, "sst2"),
        1);
    ServiceException e = assertThrows(ServiceException.class, () -> job(1, mismatch, rt, reg, sst2(4)).run());
    assertEquals(ErrorReason.MODEL_MISMATCH, e.reason());
    assertTrue(e.getMessage().contains("some-other-model"), e.getMessage());

    var missing = new EvaluationFakes.Store(JOB, spec(ref("gone@prod"), 0, 3, EvalMode.RANK_CLASSIFICATION, "sst2"),
        1);
    e = assertThrows(ServiceException.class, () -> job(1, missing, rt, reg, sst2(4)).run());
    assertEquals(ErrorReason.NOT_FOUND, e.reason());
    assertTrue(e.getMessage().contains("gone@prod"), e.getMessage());
    assertEquals(0, reg.recorded.size());
  }
}
