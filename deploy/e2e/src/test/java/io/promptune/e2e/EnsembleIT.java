package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.CandidateScore;
import io.promptune.api.v1.ClassLabelInit;
import io.promptune.api.v1.CombinationRule;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.EvalEvent;
import io.promptune.api.v1.EvalMode;
import io.promptune.api.v1.Evaluation;
import io.promptune.api.v1.EvaluationSpec;
import io.promptune.api.v1.ExampleScores;
import io.promptune.api.v1.GateCheck;
import io.promptune.api.v1.GenerateInput;
import io.promptune.api.v1.GenerateRequest;
import io.promptune.api.v1.GenerateResponse;
import io.promptune.api.v1.Generation;
import io.promptune.api.v1.GetJobRequest;
import io.promptune.api.v1.GetLineageRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.Job;
import io.promptune.api.v1.JobEvent;
import io.promptune.api.v1.JobKind;
import io.promptune.api.v1.JobSpec;
import io.promptune.api.v1.JobState;
import io.promptune.api.v1.Lineage;
import io.promptune.api.v1.LineageDirection;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListEvaluationsRequest;
import io.promptune.api.v1.MemberScores;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionGate;
import io.promptune.api.v1.PromptInit;
import io.promptune.api.v1.PromptRef;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.PublishVersionRequest;
import io.promptune.api.v1.ScoreExample;
import io.promptune.api.v1.ScoreRequest;
import io.promptune.api.v1.ScoreResponse;
import io.promptune.api.v1.SetPromotionGateRequest;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.SubmitEvaluationRequest;
import io.promptune.api.v1.SubmitJobRequest;
import io.promptune.api.v1.TaskFormat;
import io.promptune.api.v1.Text;
import io.promptune.api.v1.VersionKind;
import io.promptune.api.v1.VersionSelector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14 across real processes (shared deployment): an ensemble job of 3 members trains with all members in one
 * ForwardBackward per step (counted runtime-side by promptune_runtime_request_prompts), publishes 3 members and an
 * ensemble with lineage; {@code name@prod} pointing at the ensemble answers Score and Generate with the majority and
 * each member's answer; an evaluation job on a second dataset records its metric against a version; a prod gate
 * refuses a promotion without evidence and with too low a number, allows it after a passing evaluation, and a forced
 * promotion past it is audited as an override.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(SharedDeployment.class)
class EnsembleIT {

  static final String PROMPT = "e2e-ensemble";
  static final int MEMBERS = 3;
  static final int STEPS = 4;
  static final long SEED = 31;

  static Deployment deployment;

  @RegisterExtension
  static final Deployment.LogsOnFailure LOGS = new Deployment.LogsOnFailure(() -> deployment);

  static Dataset train;
  static Dataset transfer;
  static Job job;
  static PromptVersion ensemble;
  static List<PromptVersion> members = new ArrayList<>();
  static PromptVersion handMade;

  @BeforeAll
  static void up(Deployment shared) throws Exception {
    deployment = shared;
    train = shared.uploadJsonl("e2e-ensemble-sentiment", SentimentData.train(), SentimentData.validation());
    transfer = shared.uploadJsonl("e2e-ensemble-transfer", TransferData.lines(false), TransferData.lines(true));
  }

  static TaskFormat format() {
    return TaskFormat.newBuilder().setName("identity").addAllLabels(SentimentData.LABELS).build();
  }

  @Test
  @Order(1)
  void ensembleJobSendsAllMembersInOneForwardBackwardPerStepAndPublishesMembersAndEnsemble() throws Exception {
    String before = scrape("runtime");
    String trainerBefore = scrape("trainer");
    JobSpec spec = JobSpec.newBuilder().setDataset(train.getName()).setTaskFormat(format()).setPromptLength(4)
        .setInit(PromptInit.newBuilder().setClassLabels(ClassLabelInit.getDefaultInstance())).setBatchSize(4)
        .setMaxSteps(STEPS).setEvalInterval(STEPS).setSeed(SEED).setOutputPrompt(PROMPT).setTask("sentiment")
        .setEnsembleSize(MEMBERS).build();
    Job submitted = deployment.trainer().submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build());
    List<JobEvent> events = deployment.watchToEnd(submitted.getId(), Duration.ofMinutes(4));
    job = deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(submitted.getId()).build());
    assertEquals(JobState.SUCCEEDED, job.getState(), job.getReason() + "\n" + events);
    String after = scrape("runtime");
    String trainerAfter = scrape("trainer");

    // Runtime-side evidence: every training step was one ForwardBackward with gradients carrying 3 prompts. The
    // suites of the shared deployment run one after another, so nothing else trained meanwhile.
    String count = "promptune_runtime_request_prompts_count";
    String sum = "promptune_runtime_request_prompts_sum";
    String[] fb = {"rpc=\"ForwardBackward\"", "gradients=\"true\""};
    assertEquals(STEPS, MetricsIT.sum(after, count, fb) - MetricsIT.sum(before, count, fb), "training calls");
    assertEquals(STEPS * MEMBERS, MetricsIT.sum(after, sum, fb) - MetricsIT.sum(before, sum, fb),
        "prompts carried by the training calls");
    assertEquals(STEPS, MetricsIT.sum(trainerAfter, "promptune_trainer_steps_total")
        - MetricsIT.sum(trainerBefore, "promptune_trainer_steps_total"), "one trainer step per ensemble step");

    // Evaluation reports each member, their mean, and the ensemble.
    List<EvalEvent> evals = events.stream().filter(JobEvent::hasEval).map(JobEvent::getEval).toList();
    assertFalse(evals.isEmpty(), events.toString());
    EvalEvent last = evals.get(evals.size() - 1);
    assertEquals(MEMBERS, last.getMemberValuesCount(), last.toString());
    double mean = last.getMemberValuesList().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    assertEquals(mean, last.getMemberMean(), 1e-9, last.toString());

    // Published: 3 single-prompt members, then the ensemble over them, with lineage from each member.
    assertEquals(MEMBERS, job.getPublishedMemberVersionIdsCount(), job.toString());
    ensemble = version(job.getPublishedVersionId());
    assertEquals(VersionKind.ENSEMBLE, ensemble.getKind(), ensemble.toString());
    assertEquals(PROMPT, ensemble.getPromptName());
    assertEquals(CombinationRule.MAJORITY_VOTE, ensemble.getEnsemble().getRule());
    assertEquals(job.getPublishedMemberVersionIdsList(),
        ensemble.getEnsemble().getMembersList().stream().map(m -> m.getVersionId()).toList());
    for (String id : job.getPublishedMemberVersionIdsList()) {
      PromptVersion m = version(id);
      assertEquals(VersionKind.SINGLE_PROMPT, m.getKind(), m.toString());
      assertEquals(job.getId(), m.getTrainingJobId());
      members.add(m);
    }
    assertEquals(MEMBERS, members.stream().map(PromptVersion::getSha256).distinct().count(),
        "members trained from different seeds must differ");
    Lineage lineage = deployment.registry().getLineage(GetLineageRequest.newBuilder()
        .setVersion(VersionSelector.newBuilder().setVersionId(ensemble.getId()))
        .setDirection(LineageDirection.UP).build());
    List<String> memberParents = lineage.getEdgesList().stream()
        .filter(e -> e.getRelation() == LineageRelation.ENSEMBLE_MEMBER_OF
            && e.getChildVersionId().equals(ensemble.getId()))
        .map(LineageEdge::getParentVersionId).sorted().toList();
    assertEquals(job.getPublishedMemberVersionIdsList().stream().sorted().toList(), memberParents,
        lineage.toString());
  }

  @Test
  @Order(2)
  void ensembleAtProdAnswersWithTheMajorityAndEachMember() {
    assumeTrue(ensemble != null, "needs the ensemble of the first step");
    for (String env : List.of("dev", "staging", "prod")) {
      deployment.registry().promote(PromoteRequest.newBuilder().setPromptName(PROMPT).setEnvironment(env)
          .setVersionId(ensemble.getId()).setReason("e2e ensemble").build());
    }
    PromptRef atProd = PromptRef.newBuilder()
        .setVersion(VersionSelector.newBuilder().setRef(PROMPT + "@prod")).build();
    List<String> inputs = List.of("the film was great", "the plot was dull", "the cast was charming");

    // Score: the combined choice is the majority of the members' own choices (or, on a tie, the higher summed
    // log-probability of the voters); each member's scores equal a single-prompt call with that member.
    ScoreRequest.Builder score = ScoreRequest.newBuilder().addPrompts(atProd);
    for (String in : inputs) {
      score.addExamples(ScoreExample.newBuilder().setInput(text(in)).addCandidates(text("positive"))
          .addCandidates(text("negative")));
    }
    ScoreResponse scored = deployment.runtime().score(score.build());
    for (int i = 0; i < inputs.size(); i++) {
      ExampleScores ex = scored.getExamples(i);
      assertEquals(MEMBERS, ex.getMembersCount(), ex.toString());
      int[] votes = new int[2];
      double[] voterLogProb = new double[2];
      for (int m = 0; m < MEMBERS; m++) {
        MemberScores ms = ex.getMembers(m);
        ScoreResponse alone = deployment.runtime().score(ScoreRequest.newBuilder()
            .addPrompts(PromptRef.newBuilder().setVersion(VersionSelector.newBuilder()
                .setVersionId(members.get(m).getId())))
            .addExamples(score.getExamples(i)).build());
        assertEquals(alone.getExamples(0).getBestIndex(), ms.getBestIndex(), "member " + m + " of input " + i);
        for (int c = 0; c < 2; c++) {
          assertEquals(alone.getExamples(0).getCandidates(c).getSumLogProb(), ms.getCandidates(c).getSumLogProb(),
              1e-4, "member " + m + " candidate " + c);
        }
        votes[ms.getBestIndex()]++;
        voterLogProb[ms.getBestIndex()] += ms.getCandidates(ms.getBestIndex()).getSumLogProb();
      }
      int expected = votes[0] != votes[1] ? (votes[0] > votes[1] ? 0 : 1)
          : (voterLogProb[0] >= voterLogProb[1] ? 0 : 1);
      assertEquals(expected, ex.getBestIndex(), "majority of " + votes[0] + ":" + votes[1] + " for " + inputs.get(i));
      assertEquals(CombinationRule.MAJORITY_VOTE, ex.getRule());
    }

    // Generate: the combined text is the one most members generated.
    GenerateRequest.Builder gen = GenerateRequest.newBuilder().addPrompts(atProd).setMaxNewTokens(8);
    for (String in : inputs) {
      gen.addInputs(GenerateInput.newBuilder().setInput(text(in)));
    }
    GenerateResponse generated = deployment.runtime().generate(gen.build());
    for (Generation g : generated.getGenerationsList()) {
      assertEquals(MEMBERS, g.getMembersCount(), g.toString());
      Map<String, Integer> count = new HashMap<>();
      for (Generation m : g.getMembersList()) {
        count.merge(m.getText(), 1, Integer::sum);
      }
      int top = count.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
      assertEquals(top, g.getVotes(), g.toString());
      assertEquals(top, count.get(g.getText()), "the combined text must be one of the most generated: " + g);
    }
  }

  @Test
  @Order(3)
  void evaluationJobOnASecondDatasetRecordsItsMetricAgainstTheVersion() {
    assumeTrue(!members.isEmpty(), "needs the members of the first step");
    PromptVersion member = members.get(0);
    Job done = evaluate(member.getId());
    assertEquals(JobKind.JOB_KIND_EVALUATION, done.getKind());
    assertTrue(done.hasEvaluationOutcome(), done.toString());
    double value = done.getEvaluationOutcome().getValue();

    // Independently: the runtime's own rank classification over the transfer split's records.
    double expected = accuracyByScore(member.getId(), TransferData.records(true));
    assertEquals(expected, value, 1e-12, "evaluation job vs Score over the same records");
    assertEquals(TransferData.records(true).size(), done.getEvaluationOutcome().getExamples());

    List<Evaluation> recorded = deployment.registry().listEvaluations(ListEvaluationsRequest.newBuilder()
        .setVersion(VersionSelector.newBuilder().setVersionId(member.getId()))
        .setDatasetId(transfer.getId()).build()).getEvaluationsList();
    assertEquals(1, recorded.size(), recorded.toString());
    Evaluation e = recorded.get(0);
    assertEquals("validation", e.getSplit());
    assertEquals("accuracy", e.getMetric());
    assertEquals(value, e.getValue(), 0);
    assertEquals(done.getId(), e.getJobId());
    assertEquals(done.getEvaluationOutcome().getEvaluationId(), e.getId());
  }

  @Test
  @Order(4)
  void prodGateRefusesWithoutEvidenceAndWithTooLowANumberThenAllowsAndAuditsAForcedOverride() throws Exception {
    assumeTrue(ensemble != null, "needs the ensemble of the first step");
    // A hand-made version of the same prompt (member 0's tensor), promoted up to staging.
    PromptVersion m0 = deployment.registry().getVersion(GetVersionRequest.newBuilder()
        .setVersion(VersionSelector.newBuilder().setVersionId(members.get(0).getId())).build());
    handMade = deployment.registry().publishVersion(PublishVersionRequest.newBuilder().setPromptName(PROMPT)
        .setTensor(m0.getTensor()).setBaseModelId(m0.getBaseModelId())
        .setBaseModelFingerprint(m0.getBaseModelFingerprint())
        .setTokenizerFingerprint(m0.getTokenizerFingerprint()).build());
    for (String env : List.of("dev", "staging")) {
      deployment.registry().promote(PromoteRequest.newBuilder().setPromptName(PROMPT).setEnvironment(env)
          .setVersionId(handMade.getId()).build());
    }
    PromotionGate.Builder gate = PromotionGate.newBuilder().setEnvironment("prod").setName("e2e-transfer")
        .setPromptName(PROMPT).setDatasetId(transfer.getId()).setSplit("validation").setMetric("accuracy")
        .setThreshold(0.0);
    deployment.registry().setPromotionGate(SetPromotionGateRequest.newBuilder().setGate(gate).build());

    // No evaluation on the gate's dataset yet: refused, naming the gate.
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> promoteToProd(false));
    assertEquals(Status.Code.FAILED_PRECONDITION, none.getStatus().getCode(), none.toString());
    assertEquals(ErrorReason.GATE_FAILED, ApiErrors.reasonOf(none).orElse(null));
    assertTrue(none.getStatus().getDescription().contains("e2e-transfer"), none.getStatus().getDescription());

    // An evaluation, then a threshold above its value: refused with the numbers.
    double value = evaluate(handMade.getId()).getEvaluationOutcome().getValue();
    double tooHigh = Math.min(1.0, value + 0.25);
    assumeTrue(tooHigh > value, "the transfer accuracy is already 1.0");
    deployment.registry().setPromotionGate(SetPromotionGateRequest.newBuilder()
        .setGate(gate.setThreshold(tooHigh)).build());
    StatusRuntimeException low = assertThrows(StatusRuntimeException.class, () -> promoteToProd(false));
    assertEquals(ErrorReason.GATE_FAILED, ApiErrors.reasonOf(low).orElse(null));
    String msg = low.getStatus().getDescription();
    assertTrue(msg.contains(fmt(value)) && msg.contains(fmt(tooHigh)), "the numbers must be named: " + msg);

    // A forced promotion past the failing gate is allowed for the admin and audited as an override.
    promoteToProd(true);
    AuditEvent forced = lastPromotion();
    assertTrue(forced.getForced(), forced.toString());
    GateCheck skipped = forced.getGateChecksList().stream().filter(g -> g.getGateName().equals("e2e-transfer"))
        .findFirst().orElseThrow(() -> new AssertionError("the skipped gate is not audited: " + forced));
    assertFalse(skipped.getPassed(), skipped.toString());

    // Back to the ensemble, then with a threshold the evaluation meets, the gated promotion passes on evidence.
    deployment.registry().setPromotionGate(SetPromotionGateRequest.newBuilder()
        .setGate(gate.setThreshold(value)).build());
    deployment.registry().promote(PromoteRequest.newBuilder().setPromptName(PROMPT).setEnvironment("prod")
        .setVersionId(ensemble.getId()).setForce(true).setReason("e2e: back to the ensemble").build());
    promoteToProd(false);
    AuditEvent passed = lastPromotion();
    assertFalse(passed.getForced(), passed.toString());
    assertTrue(passed.getGateChecksList().stream().anyMatch(g -> g.getGateName().equals("e2e-transfer")
        && g.getPassed()), passed.toString());
  }

  // ------------------------------------------------------------------------------------------------- helpers

  static String scrape(String service) throws Exception {
    java.net.http.HttpResponse<String> r = MetricsIT.get(deployment.httpPort(MetricsIT.SERVICES.get(service)),
        "/q/metrics", deployment.adminKey());
    assertEquals(200, r.statusCode(), service + " /q/metrics: " + r.body());
    return r.body();
  }

  static String fmt(double v) {
    return String.valueOf(v);
  }

  static void promoteToProd(boolean force) {
    deployment.registry().promote(PromoteRequest.newBuilder().setPromptName(PROMPT).setEnvironment("prod")
        .setVersionId(handMade.getId()).setForce(force).setReason("e2e gate").build());
  }

  static AuditEvent lastPromotion() {
    List<AuditEvent> events = deployment.registry().listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setPromptName(PROMPT).build()).getEventsList();
    return events.stream().filter(e -> e.getAction() == AuditAction.PROMOTE)
        .reduce((a, b) -> a.getId() > b.getId() ? a : b).orElseThrow();
  }

  static Job evaluate(String versionId) {
    Job submitted = deployment.trainer().submitEvaluation(SubmitEvaluationRequest.newBuilder()
        .setSpec(EvaluationSpec.newBuilder().setVersion(VersionSelector.newBuilder().setVersionId(versionId))
            .setDataset(transfer.getId()).setSplit(Split.VALIDATION).setTaskFormat(format())
            .setMode(EvalMode.RANK_CLASSIFICATION))
        .build());
    List<JobEvent> events = deployment.watchToEnd(submitted.getId(), Duration.ofMinutes(2));
    Job done = deployment.trainer().getJob(GetJobRequest.newBuilder().setJobId(submitted.getId()).build());
    assertEquals(JobState.SUCCEEDED, done.getState(), done.getReason() + "\n" + events);
    assertTrue(events.stream().anyMatch(JobEvent::hasEvaluationProgress), events.toString());
    return done;
  }

  /** Rank classification by hand: the share of records whose target label scores highest for this version. */
  static double accuracyByScore(String versionId, List<String[]> records) {
    ScoreRequest.Builder r = ScoreRequest.newBuilder().addPrompts(PromptRef.newBuilder()
        .setVersion(VersionSelector.newBuilder().setVersionId(versionId)));
    for (String[] rec : records) {
      ScoreExample.Builder ex = ScoreExample.newBuilder().setInput(text(rec[0]));
      SentimentData.LABELS.forEach(l -> ex.addCandidates(text(l)));
      r.addExamples(ex);
    }
    ScoreResponse s = deployment.runtime().score(r.build());
    int correct = 0;
    for (int i = 0; i < records.size(); i++) {
      List<CandidateScore> c = s.getExamples(i).getCandidatesList();
      int best = c.get(0).getSumLogProb() >= c.get(1).getSumLogProb() ? 0 : 1;
      correct += SentimentData.LABELS.get(best).equals(records.get(i)[1]) ? 1 : 0;
    }
    return (double) correct / records.size();
  }

  static PromptVersion version(String id) {
    PromptVersion v = deployment.registry().getVersion(GetVersionRequest.newBuilder()
        .setVersion(VersionSelector.newBuilder().setVersionId(id)).setOmitTensor(true).build());
    assertNotNull(v);
    return v;
  }

  static Text text(String s) {
    return Text.newBuilder().setText(s).build();
  }
}
