package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.Alias;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ListAliasesRequest;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListAuditEventsResponse;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptRegistryGrpc.PromptRegistryBlockingStub;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.RollbackRequest;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Many callers at once on one prompt: no lost update, no duplicate or missing number, a complete audit chain. */
@QuarkusTest
class ConcurrencyTest extends RegistryTestSupport {

  private static final int THREADS = 8;

  @Test
  void concurrentPublishersGetGapFreeNumbers() throws Exception {
    String p = uniqueName("race-publish");
    system().createPrompt(CreatePromptRequest.newBuilder().setName(p).build());
    int perThread = 8;
    List<Integer> numbers = Collections.synchronizedList(new ArrayList<>());
    Set<String> ids = Collections.synchronizedSet(new HashSet<>());
    runAll(THREADS, t -> {
      for (int i = 0; i < perThread; i++) {
        PromptVersion v = as("trainer-" + t, Role.TRAINER).publishVersion(publishRequest(p,
            tensor(2, 4, t * 100L + i)).build());
        numbers.add(v.getNumber());
        ids.add(v.getId());
      }
    });
    int total = THREADS * perThread;
    assertEquals(IntStream.rangeClosed(1, total).boxed().toList(), numbers.stream().sorted().toList(),
        "every number from 1 to " + total + " exactly once");
    assertEquals(total, ids.size());
    assertEquals(total, system().getPrompt(GetPromptRequest.newBuilder().setName(p).build()).getLatestVersion());
    List<Integer> listed = system().listVersions(ListVersionsRequest.newBuilder().setPromptName(p)
        .setPage(PageRequest.newBuilder().setPageSize(1000)).build()).getVersionsList().stream()
        .map(PromptVersion::getNumber).toList();
    assertEquals(IntStream.iterate(total, n -> n - 1).limit(total).boxed().toList(), listed);

    List<AuditEvent> log = auditOf(p, "");
    Set<String> published = new HashSet<>();
    log.stream().filter(e -> e.getAction() == AuditAction.PUBLISH_VERSION)
        .forEach(e -> published.add(e.getToVersionId()));
    assertEquals(ids, published, "one PUBLISH_VERSION event per version");
  }

  @Test
  void concurrentPromotersWithTheSameExpectationHaveOneWinnerPerRound() throws Exception {
    String p = uniqueName("race-promote");
    List<PromptVersion> versions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      versions.add(publish(p, 2, 4));
    }
    int rounds = 10;
    // Each round: every thread reads dev, then (after a barrier, so all read the same version) promotes a version
    // other than that one with the version it read as its expectation, then waits for the others before the next
    // read. The first to commit wins; the other seven must fail, since dev no longer holds what they expected.
    CyclicBarrier barrier = new CyclicBarrier(THREADS);
    List<List<PromotionResult>> winners = new ArrayList<>();
    List<List<StatusRuntimeException>> losers = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      winners.add(Collections.synchronizedList(new ArrayList<>()));
      losers.add(Collections.synchronizedList(new ArrayList<>()));
    }
    runAll(THREADS, t -> {
      var stub = as("operator-" + t, Role.OPERATOR);
      Random random = new Random(t);
      for (int round = 0; round < rounds; round++) {
        String now = currentId(stub, p, "dev");
        List<PromptVersion> others = versions.stream().filter(v -> !v.getId().equals(now)).toList();
        PromptVersion target = others.get(random.nextInt(others.size()));
        await(barrier);
        try {
          winners.get(round).add(stub.promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev")
              .setVersionId(target.getId()).setExpectedCurrentVersionId(now).build()));
        } catch (StatusRuntimeException e) {
          losers.get(round).add(e);
        }
        await(barrier);
      }
    });

    List<AuditEvent> log = auditOf(p, "dev");
    assertEquals(rounds, log.size(), "exactly one audit event per successful promotion");
    assertChain(log);
    for (int r = 0; r < rounds; r++) {
      assertEquals(1, winners.get(r).size(), "round " + r + ": one winner");
      assertEquals(THREADS - 1, losers.get(r).size(), "round " + r + ": the others lose");
      PromotionResult won = winners.get(r).get(0);
      assertTrue(won.getChanged());
      assertEquals(log.get(r), won.getEvent(), "round " + r + "'s winner holds round " + r + "'s event");
      for (StatusRuntimeException e : losers.get(r)) {
        assertEquals(Status.Code.ABORTED, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals(ErrorReason.CONFLICT, ApiErrors.reasonOf(e).orElse(null), e.getStatus().toString());
        assertEquals(won.getAlias().getVersionId(), ApiErrors.errorInfoOf(e).orElseThrow().getMetadataMap()
            .get("current_version_id"), "a loser is told what the winner put there");
      }
    }
    assertEquals(log.get(log.size() - 1).getToVersionId(), currentId(system(), p, "dev"));
  }

  @Test
  void publishingAndBlindPromotingAtOnceStaysConsistent() throws Exception {
    String p = uniqueName("race-mixed");
    publish(p, 2, 4);
    List<PromotionResult> answers = Collections.synchronizedList(new ArrayList<>());
    runAll(THREADS, t -> {
      for (int i = 0; i < 8; i++) {
        if (t % 2 == 0) {
          system().publishVersion(publishRequest(p, tensor(2, 4, t * 1000L + i)).build());
        } else {
          int latest = system().getPrompt(GetPromptRequest.newBuilder().setName(p).build()).getLatestVersion();
          int number = 1 + ThreadLocalRandom.current().nextInt(latest);
          answers.add(as("op-" + t, Role.OPERATOR).promote(PromoteRequest.newBuilder().setPromptName(p)
              .setEnvironment("dev").setVersionNumber(number).build()));
        }
      }
    });
    int latest = system().getPrompt(GetPromptRequest.newBuilder().setName(p).build()).getLatestVersion();
    assertEquals(1 + (THREADS / 2) * 8, latest);
    assertEquals((THREADS / 2) * 8, answers.size());
    List<AuditEvent> dev = auditOf(p, "dev");
    assertChain(dev);
    List<AuditEvent> all = auditOf(p, "");
    assertEquals(latest, all.stream().filter(e -> e.getAction() == AuditAction.PUBLISH_VERSION).count());
    // Every change is in the log, answered to exactly the caller who made it; a repeat of the current version is
    // answered as a no-op without an event.
    assertEquals(dev.stream().map(AuditEvent::getId).toList(), answers.stream().filter(PromotionResult::getChanged)
        .map(r -> r.getEvent().getId()).sorted().toList());
    assertTrue(answers.stream().filter(r -> !r.getChanged()).noneMatch(PromotionResult::hasEvent));
  }

  /**
   * Promotions (some forced, some asking for the version already there) and rollbacks racing on three environments
   * of one prompt. Each answer that moved an alias carries its own audit event and no other answer carries it; a
   * no-op says so and carries none; afterwards each alias is where the last event for it left it, and the events of
   * each environment form an unbroken chain (none lost).
   */
  @Test
  void racingPromotionsAndRollbacksAcrossEnvironmentsLoseNoEventAndShareNone() throws Exception {
    String p = uniqueName("race-envs");
    List<PromptVersion> versions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      versions.add(publish(p, 2, 4));
    }
    List<String> envs = List.of("dev", "staging", "prod");
    for (String env : envs) {
      system().promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment(env)
          .setVersionId(versions.get(0).getId()).build());
    }
    long setupEvents = auditOf(p, "").stream().filter(ConcurrencyTest::isMove).count();
    assertEquals(envs.size(), setupEvents);

    record Answer(String kind, String env, String asked, PromotionResult result) {}
    List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
    List<StatusRuntimeException> refused = Collections.synchronizedList(new ArrayList<>());
    List<PromotionResult> firstRound = Collections.synchronizedList(new ArrayList<>());
    CyclicBarrier barrier = new CyclicBarrier(THREADS);
    int perThread = 10;
    runAll(THREADS, t -> {
      var operator = as("op-" + t, Role.OPERATOR);
      var admin = as("admin-" + t, Role.ADMIN);
      // First, all threads at once ask for the same move: one makes it, seven find it already made.
      firstRound.add(operator.promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev")
          .setVersionId(versions.get(1).getId()).setReason("round 0").build()));
      await(barrier);
      Random random = new Random(31L * t + 7);
      for (int i = 1; i < perThread; i++) {
        String env = envs.get(random.nextInt(envs.size()));
        int choice = random.nextInt(4);
        try {
          if (choice == 0) {
            answers.add(new Answer("rollback", env, null, operator.rollback(RollbackRequest.newBuilder()
                .setPromptName(p).setEnvironment(env).setReason("t" + t + "/" + i).build())));
          } else {
            PromptVersion v = versions.get(random.nextInt(versions.size()));
            boolean force = choice == 1;
            answers.add(new Answer(force ? "forced" : "promote", env, v.getId(), (force ? admin : operator)
                .promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment(env).setVersionId(v.getId())
                    .setForce(force).setReason("t" + t + "/" + i).build())));
          }
        } catch (StatusRuntimeException e) {
          refused.add(e);
        }
      }
    });

    // Round 0: exactly one move, seven no-ops, none of them carrying the mover's (or any) event.
    assertEquals(1, firstRound.stream().filter(PromotionResult::getChanged).count(), firstRound.toString());
    for (PromotionResult r : firstRound) {
      assertEquals(versions.get(1).getId(), r.getAlias().getVersionId());
      assertEquals(r.getChanged(), r.hasEvent(), r.toString());
    }
    // Every call was answered or refused for a reason the race explains (out of order, nothing to go back to).
    assertEquals(THREADS * (perThread - 1), answers.size() + refused.size());
    for (StatusRuntimeException e : refused) {
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
      ErrorReason reason = ApiErrors.reasonOf(e).orElse(null);
      assertTrue(reason == ErrorReason.ENVIRONMENT_ORDER || reason == ErrorReason.NOTHING_TO_ROLL_BACK,
          e.getStatus().toString());
    }
    List<PromotionResult> all = new ArrayList<>(firstRound);
    for (Answer a : answers) {
      all.add(a.result());
      assertEquals(a.env(), a.result().getAlias().getEnvironment());
      assertEquals(a.result().getChanged(), a.result().hasEvent(), a.toString());
      if (a.kind().equals("rollback")) {
        assertTrue(a.result().getChanged(), "a rollback always moves: " + a);
      }
      if (!a.result().getChanged()) {
        assertEquals(a.asked(), a.result().getAlias().getVersionId(), "a no-op holds the version asked for: " + a);
      }
    }

    List<Long> answeredEvents = all.stream().filter(PromotionResult::getChanged).map(r -> r.getEvent().getId())
        .sorted().toList();
    assertEquals(answeredEvents.size(), new HashSet<>(answeredEvents).size(), "no two callers got the same event");
    List<AuditEvent> moves = auditOf(p, "").stream().filter(ConcurrencyTest::isMove).toList();
    assertEquals(setupEvents + answeredEvents.size(), moves.size(),
        "one audit event per answer that says it changed something");
    assertEquals(answeredEvents, moves.stream().skip(setupEvents).map(AuditEvent::getId).sorted().toList(),
        "the events answered are the events logged");
    for (PromotionResult r : all) {
      if (r.getChanged()) {
        AuditEvent logged = moves.stream().filter(e -> e.getId() == r.getEvent().getId()).findFirst().orElseThrow();
        assertEquals(logged, r.getEvent());
        assertEquals(r.getAlias().getVersionId(), logged.getToVersionId());
      }
    }

    Map<String, String> aliases = system().listAliases(ListAliasesRequest.newBuilder().setPromptName(p).build())
        .getAliasesList().stream().collect(Collectors.toMap(Alias::getEnvironment, Alias::getVersionId));
    for (String env : envs) {
      List<AuditEvent> log = auditOf(p, env).stream().filter(ConcurrencyTest::isMove).toList();
      assertChain(log);
      assertEquals(log.get(log.size() - 1).getToVersionId(), aliases.get(env),
          env + " holds what its last audit event put there");
      // Replaying the log (promotion pushes, rollback pops) ends where the alias is: no event missing in between.
      assertEquals(Optional.of(UUID.fromString(aliases.get(env))), replay(log), env);
    }
  }

  private static boolean isMove(AuditEvent e) {
    return e.getAction() == AuditAction.PROMOTE || e.getAction() == AuditAction.ROLLBACK;
  }

  /**
   * Independent replay of one environment's moves: a promotion puts its target on top, a rollback removes the top
   * and must land on the version below it.
   */
  private static Optional<UUID> replay(List<AuditEvent> log) {
    ArrayDeque<String> stack = new ArrayDeque<>();
    for (AuditEvent e : log) {
      if (e.getAction() == AuditAction.PROMOTE) {
        stack.push(e.getToVersionId());
      } else {
        stack.pop();
        assertEquals(stack.peek(), e.getToVersionId(), "rollback " + e.getId() + " went back one step");
      }
    }
    return Optional.ofNullable(stack.peek()).map(UUID::fromString);
  }

  private static String currentId(PromptRegistryBlockingStub stub, String prompt, String env) {
    try {
      return stub.getVersion(GetVersionRequest.newBuilder().setVersion(ref(prompt + "@" + env)).setOmitTensor(true)
          .build()).getId();
    } catch (StatusRuntimeException none) {
      assertEquals(Status.Code.NOT_FOUND, none.getStatus().getCode(), none.getStatus().toString());
      return "";
    }
  }

  /** Waits for the other threads; a generous bound so a thread that died cannot hang the suite. */
  private static void await(CyclicBarrier barrier) throws Exception {
    barrier.await(60, TimeUnit.SECONDS);
  }

  /** Each event moves the alias from where the previous one left it: no promotion was lost or interleaved. */
  private static void assertChain(List<AuditEvent> log) {
    assertTrue(!log.isEmpty());
    assertEquals("", log.get(0).getFromVersionId());
    for (int i = 1; i < log.size(); i++) {
      assertTrue(log.get(i).getId() > log.get(i - 1).getId(), "ids increase");
      assertEquals(log.get(i - 1).getToVersionId(), log.get(i).getFromVersionId(), "event " + i + " of " + log);
    }
  }

  private List<AuditEvent> auditOf(String prompt, String env) {
    List<AuditEvent> out = new ArrayList<>();
    String token = "";
    do {
      ListAuditEventsResponse page = system().listAuditEvents(ListAuditEventsRequest.newBuilder()
          .setPromptName(prompt).setEnvironment(env).setPage(PageRequest.newBuilder().setPageSize(7)
              .setPageToken(token)).build());
      out.addAll(page.getEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  interface Worker {
    void run(int thread) throws Exception;
  }

  /** Starts {@code threads} workers at the same instant and rethrows the first failure. */
  private static void runAll(int threads, Worker worker) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Void>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Callable<Void> task = () -> {
          start.await();
          worker.run(thread);
          return null;
        };
        futures.add(pool.submit(task));
      }
      start.countDown();
      for (Future<Void> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
