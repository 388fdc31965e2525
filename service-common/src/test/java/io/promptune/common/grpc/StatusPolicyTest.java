package io.promptune.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.ErrorReason;
import io.promptune.common.db.DatabaseException;
import io.promptune.common.errors.ServiceException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StatusPolicyTest {

  private final StatusPolicy policy = new StatusPolicy("registry");

  /** The table, written out: every reason a service can refuse with, and the code a caller sees. */
  private static final Map<ErrorReason, Status.Code> TABLE = new EnumMap<>(Map.ofEntries(
      Map.entry(ErrorReason.ERROR_REASON_UNSPECIFIED, Status.Code.INTERNAL),
      Map.entry(ErrorReason.INVALID_ARGUMENT, Status.Code.INVALID_ARGUMENT),
      Map.entry(ErrorReason.INVALID_TENSOR, Status.Code.INVALID_ARGUMENT),
      Map.entry(ErrorReason.SHAPE_MISMATCH, Status.Code.INVALID_ARGUMENT),
      Map.entry(ErrorReason.INPUT_TOO_LONG, Status.Code.INVALID_ARGUMENT),
      Map.entry(ErrorReason.EMPTY_INPUT, Status.Code.INVALID_ARGUMENT),
      Map.entry(ErrorReason.UNKNOWN_TOKEN_ID, Status.Code.INVALID_ARGUMENT),
      Map.entry(ErrorReason.MALFORMED_FILE, Status.Code.INVALID_ARGUMENT),
      Map.entry(ErrorReason.REQUEST_TOO_LARGE, Status.Code.RESOURCE_EXHAUSTED),
      Map.entry(ErrorReason.QUOTA_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED),
      Map.entry(ErrorReason.NOT_FOUND, Status.Code.NOT_FOUND),
      Map.entry(ErrorReason.ALREADY_EXISTS, Status.Code.ALREADY_EXISTS),
      Map.entry(ErrorReason.CONFLICT, Status.Code.ABORTED),
      Map.entry(ErrorReason.PERMISSION_DENIED, Status.Code.PERMISSION_DENIED),
      Map.entry(ErrorReason.UNAUTHENTICATED, Status.Code.UNAUTHENTICATED),
      Map.entry(ErrorReason.MODEL_MISMATCH, Status.Code.FAILED_PRECONDITION),
      Map.entry(ErrorReason.ENVIRONMENT_ORDER, Status.Code.FAILED_PRECONDITION),
      Map.entry(ErrorReason.NOTHING_TO_ROLL_BACK, Status.Code.FAILED_PRECONDITION),
      Map.entry(ErrorReason.JOB_STATE, Status.Code.FAILED_PRECONDITION),
      Map.entry(ErrorReason.GATE_FAILED, Status.Code.FAILED_PRECONDITION),
      Map.entry(ErrorReason.ENSEMBLE_NOT_SUPPORTED, Status.Code.FAILED_PRECONDITION),
      Map.entry(ErrorReason.UNAVAILABLE_DEPENDENCY, Status.Code.UNAVAILABLE),
      Map.entry(ErrorReason.NON_FINITE, Status.Code.INTERNAL),
      Map.entry(ErrorReason.INTERNAL, Status.Code.INTERNAL)));

  @Test
  void everyReasonHasItsCode() {
    for (ErrorReason reason : ErrorReason.values()) {
      if (reason == ErrorReason.UNRECOGNIZED) {
        assertEquals(Status.Code.INTERNAL, StatusPolicy.code(reason));
        continue;
      }
      assertTrue(TABLE.containsKey(reason), () -> reason + " is new: add it to the table and to this test");
      assertEquals(TABLE.get(reason), StatusPolicy.code(reason), reason::name);
    }
  }

  @Test
  void aRefusalGetsItsReasonsCodeMessageAndMetadata() {
    for (ErrorReason reason : TABLE.keySet()) {
      StatusRuntimeException s = policy.toStatus(new ServiceException(reason, "prompt 'p' does not exist",
          Map.of("field", "name")), "GetPrompt");
      assertEquals(TABLE.get(reason), s.getStatus().getCode());
      assertEquals("prompt 'p' does not exist", s.getStatus().getDescription());
      assertEquals(reason, ApiErrors.reasonOf(s).orElseThrow());
      assertEquals("name", ApiErrors.errorInfoOf(s).orElseThrow().getMetadataOrThrow("field"));
    }
  }

  @Test
  void aStatusPassesThrough() {
    StatusRuntimeException given = ApiErrors.notFound("nope");
    assertSame(given, policy.toStatus(given, "GetPrompt"));
  }

  @Test
  void aDatabaseOutageIsUnavailableWhereverItSits() {
    List<Throwable> outages = List.of(
        new DatabaseException("database transaction failed", new SQLException("connection refused", "08001")),
        new DatabaseException("no database connection", new SQLException("acquisition timeout"), true),
        new SQLException("terminating connection due to administrator command", "57P01"),
        new RuntimeException("wrapped", new SQLTransientConnectionException("pool exhausted")),
        new UncheckedIOException(new java.io.IOException("x", new SQLException("I/O error", "08006"))));
    for (Throwable t : outages) {
      StatusRuntimeException s = policy.toStatus(t, "ListPrompts");
      assertEquals(Status.Code.UNAVAILABLE, s.getStatus().getCode(), t::toString);
      assertEquals(ErrorReason.UNAVAILABLE_DEPENDENCY, ApiErrors.reasonOf(s).orElseThrow());
      assertEquals("the registry's database is unreachable; retry later", s.getStatus().getDescription());
    }
  }

  @Test
  void aFailingStatementIsNotAnOutage() {
    StatusRuntimeException s = policy.toStatus(new DatabaseException("database transaction failed",
        new SQLException("relation \"registry.nope\" does not exist", "42P01")), "ListPrompts");
    assertEquals(Status.Code.INTERNAL, s.getStatus().getCode());
    assertFalse(s.getStatus().getDescription().contains("registry.nope"), s.getStatus().getDescription());
  }

  @Test
  void anythingElseIsInternalWithAnErrorIdAndNoInternalText() {
    List<LogRecord> records = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger log = Logger.getLogger(StatusPolicy.class.getName());
    log.addHandler(capture);
    try {
      RuntimeException bug = new IllegalStateException("secret-table-name overflowed at /srv/data/x");
      StatusRuntimeException s = policy.toStatus(bug, "PublishVersion");
      String message = s.getStatus().getDescription();
      assertEquals(Status.Code.INTERNAL, s.getStatus().getCode());
      assertEquals(ErrorReason.INTERNAL, ApiErrors.reasonOf(s).orElseThrow());
      Matcher m = Pattern.compile("^PublishVersion failed inside the registry; error id ([0-9a-f]{12}): the "
          + "service log has the details$").matcher(message);
      assertTrue(m.matches(), message);
      assertFalse(message.contains("secret") || message.contains("IllegalState") || message.contains("/srv"),
          message);
      String id = m.group(1);
      assertEquals(id, ApiErrors.errorInfoOf(s).orElseThrow().getMetadataOrThrow("error_id"));

      LogRecord logged = records.stream().filter(r -> r.getThrown() == bug).findFirst().orElseThrow(
          () -> new AssertionError("the failure was not logged with its exception: " + records));
      assertTrue(formatted(logged).contains(id), formatted(logged));
      assertTrue(formatted(logged).contains("PublishVersion"), formatted(logged));

      String other = policy.toStatus(bug, "PublishVersion").getStatus().getDescription();
      assertNotEquals(message, other, "each failure gets its own id");
      assertTrue(policy.toStatus(new OutOfMemoryError("heap"), "Score").getStatus().getDescription()
          .startsWith("Score failed inside the registry; error id "));
    } finally {
      log.removeHandler(capture);
    }
  }

  @Test
  void answerSendsTheResponseOrTheStatus() {
    List<Object> sent = new ArrayList<>();
    StreamObserver<String> out = new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        sent.add(value);
      }

      @Override
      public void onError(Throwable t) {
        sent.add(t);
      }

      @Override
      public void onCompleted() {
        sent.add("completed");
      }
    };
    policy.answer(out, "GetPrompt", () -> "ok");
    assertEquals(List.of("ok", "completed"), sent);
    sent.clear();
    policy.answer(out, "GetPrompt", () -> {
      throw new ServiceException(ErrorReason.NOT_FOUND, "no prompt 'p'");
    });
    assertEquals(1, sent.size());
    assertEquals(Status.Code.NOT_FOUND, ((StatusRuntimeException) sent.get(0)).getStatus().getCode());
    sent.clear();
    policy.answer(out, "Score", () -> {
      throw new OutOfMemoryError("Java heap space");
    });
    assertEquals(Status.Code.INTERNAL, ((StatusRuntimeException) sent.get(0)).getStatus().getCode());
  }

  private static String formatted(LogRecord r) {
    Object[] params = r.getParameters();
    String msg = r.getMessage();
    return params == null || params.length == 0 ? msg : String.format(msg, params);
  }
}
