package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.AuditAction;
import io.promptune.api.v1.AuditEvent;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.ListAuditEventsRequest;
import io.promptune.api.v1.ListAuditEventsResponse;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromotionResult;
import io.promptune.api.v1.PromptVersion;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
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
  void concurrentPromotersWithExpectationsNeverLoseAnUpdate() throws Exception {
    String p = uniqueName("race-promote");
    List<PromptVersion> versions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      versions.add(publish(p, 2, 4));
    }
    AtomicInteger successes = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    ConcurrentLinkedQueue<PromotionResult> results = new ConcurrentLinkedQueue<>();
    runAll(THREADS, t -> {
      var stub = as("operator-" + t, Role.OPERATOR);
      for (int i = 0; i < 10; i++) {
        String current;
        try {
          current = stub.getVersion(GetVersionRequest.newBuilder().setVersion(ref(p + "@dev")).setOmitTensor(true)
              .build()).getId();
        } catch (StatusRuntimeException none) {
          current = "";
        }
        String now = current;
        List<PromptVersion> others = versions.stream().filter(v -> !v.getId().equals(now)).toList();
        PromptVersion target = others.get(ThreadLocalRandom.current().nextInt(others.size()));
        try {
          results.add(stub.promote(PromoteRequest.newBuilder().setPromptName(p).setEnvironment("dev")
              .setVersionId(target.getId()).setExpectedCurrentVersionId(now).build()));
          successes.incrementAndGet();
        } catch (StatusRuntimeException e) {
          assertEquals(Status.Code.ABORTED, e.getStatus().getCode(), e.getStatus().toString());
          conflicts.incrementAndGet();
        }
      }
    });
    assertEquals(THREADS * 10, successes.get() + conflicts.get());
    assertTrue(successes.get() > 0);

    List<AuditEvent> log = auditOf(p, "dev");
    assertEquals(successes.get(), log.size(), "exactly one audit event per successful promotion");
    assertChain(log);
    String last = log.get(log.size() - 1).getToVersionId();
    assertEquals(last, system().getVersion(GetVersionRequest.newBuilder().setVersion(ref(p + "@dev"))
        .setOmitTensor(true).build()).getId());
    Set<Long> eventIds = new HashSet<>();
    results.forEach(r -> eventIds.add(r.getEvent().getId()));
    assertEquals(log.stream().map(AuditEvent::getId).collect(java.util.stream.Collectors.toSet()), eventIds,
        "the events returned to callers are the events in the log");
  }

  @Test
  void publishingAndBlindPromotingAtOnceStaysConsistent() throws Exception {
    String p = uniqueName("race-mixed");
    publish(p, 2, 4);
    Set<Long> returnedEvents = Collections.synchronizedSet(new HashSet<>());
    runAll(THREADS, t -> {
      for (int i = 0; i < 8; i++) {
        if (t % 2 == 0) {
          system().publishVersion(publishRequest(p, tensor(2, 4, t * 1000L + i)).build());
        } else {
          int latest = system().getPrompt(GetPromptRequest.newBuilder().setName(p).build()).getLatestVersion();
          int number = 1 + ThreadLocalRandom.current().nextInt(latest);
          PromotionResult r = as("op-" + t, Role.OPERATOR).promote(PromoteRequest.newBuilder().setPromptName(p)
              .setEnvironment("dev").setVersionNumber(number).build());
          returnedEvents.add(r.getEvent().getId());
        }
      }
    });
    int latest = system().getPrompt(GetPromptRequest.newBuilder().setName(p).build()).getLatestVersion();
    assertEquals(1 + (THREADS / 2) * 8, latest);
    List<AuditEvent> dev = auditOf(p, "dev");
    assertChain(dev);
    List<AuditEvent> all = auditOf(p, "");
    assertEquals(latest, all.stream().filter(e -> e.getAction() == AuditAction.PUBLISH_VERSION).count());
    // Every change is in the log, and every logged change was answered to its caller (a repeat of the current
    // version answers with the event that put it there).
    assertEquals(dev.stream().map(AuditEvent::getId).collect(java.util.stream.Collectors.toSet()), returnedEvents);
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
