package io.promptune.common.db;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class TransactionsTest {

  /**
   * A connection that records what is done to it and fails the calls named in {@code failing}, by method name
   * ("rollback") or by method and argument ("setAutoCommit(true)").
   */
  static final class FakeConnection {
    final List<String> calls = new ArrayList<>();
    final Set<String> failing;

    FakeConnection(String... failing) {
      this.failing = Set.of(failing);
    }

    Connection proxy() {
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          (p, method, args) -> {
            String name = method.getName();
            String call = args == null || args.length == 0 ? name : name + "(" + args[0] + ")";
            calls.add(call);
            if (failing.contains(name) || failing.contains(call)) {
              throw new SQLException(name + " failed: connection reset", "08006");
            }
            return switch (name) {
              case "getTransactionIsolation" -> Connection.TRANSACTION_READ_COMMITTED;
              case "isClosed", "isReadOnly" -> false;
              case "getAutoCommit" -> true;
              case "hashCode" -> System.identityHashCode(p);
              case "equals" -> p == args[0];
              case "toString" -> "FakeConnection";
              default -> null;
            };
          });
    }

    DataSource dataSource() {
      Connection c = proxy();
      return new DataSource() {
        @Override
        public Connection getConnection() {
          return c;
        }

        @Override
        public Connection getConnection(String user, String password) {
          return c;
        }

        @Override
        public PrintWriter getLogWriter() {
          return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {}

        @Override
        public void setLoginTimeout(int seconds) {}

        @Override
        public int getLoginTimeout() {
          return 0;
        }

        @Override
        public Logger getParentLogger() {
          return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) {
          throw new UnsupportedOperationException();
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
          return false;
        }
      };
    }
  }

  @Test
  void commitsWhatReturns() {
    FakeConnection c = new FakeConnection();
    assertEquals("done", Transactions.inTransaction(c.dataSource(), conn -> "done"));
    assertEquals(List.of("setAutoCommit(false)", "commit", "setAutoCommit(true)", "close"), c.calls);
  }

  @Test
  void rollsBackWhatThrowsAndRethrowsItUnchanged() {
    FakeConnection c = new FakeConnection();
    IllegalStateException boom = new IllegalStateException("boom");
    assertSame(boom, assertThrows(IllegalStateException.class,
        () -> Transactions.inTransaction(c.dataSource(), conn -> {
          throw boom;
        })));
    assertEquals(List.of("setAutoCommit(false)", "rollback", "setAutoCommit(true)", "close"), c.calls);
    assertEquals(0, boom.getSuppressed().length);
  }

  @Test
  void aFailingRollbackKeepsTheOriginalException() {
    FakeConnection c = new FakeConnection("rollback");
    IllegalStateException boom = new IllegalStateException("the work failed");
    IllegalStateException thrown = assertThrows(IllegalStateException.class,
        () -> Transactions.inTransaction(c.dataSource(), conn -> {
          throw boom;
        }));
    assertSame(boom, thrown);
    assertEquals(1, thrown.getSuppressed().length);
    assertTrue(thrown.getSuppressed()[0].getMessage().startsWith("rollback failed"));
    assertEquals(List.of("setAutoCommit(false)", "rollback", "setAutoCommit(true)", "close"), c.calls);
  }

  @Test
  void aFailingStatementIsWrappedAndCarriesTheRollbackFailure() {
    SQLException statement = new SQLException("duplicate key", "23505");
    DatabaseException db = assertThrows(DatabaseException.class,
        () -> Transactions.inTransaction(new FakeConnection("rollback").dataSource(), conn -> {
          throw statement;
        }));
    assertSame(statement, db.getCause());
    assertEquals("23505", db.sqlState());
    assertFalse(db.outage());
    assertEquals(1, statement.getSuppressed().length);
    assertTrue(statement.getSuppressed()[0].getMessage().startsWith("rollback failed"));
  }

  @Test
  void aFailingCommitIsRolledBackAndReported() {
    FakeConnection c = new FakeConnection("commit");
    DatabaseException db = assertThrows(DatabaseException.class,
        () -> Transactions.inTransaction(c.dataSource(), conn -> 1));
    assertEquals("08006", db.sqlState());
    assertTrue(db.outage(), "a connection lost at commit is an outage");
    assertEquals(List.of("setAutoCommit(false)", "commit", "rollback", "setAutoCommit(true)", "close"), c.calls);
  }

  @Test
  void aFailingResetAfterAFailureOnlyAddsToIt() {
    FakeConnection c = new FakeConnection("rollback", "setTransactionIsolation(2)", "setReadOnly(false)",
        "setAutoCommit(true)");
    IllegalArgumentException boom = new IllegalArgumentException("bad");
    IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
        () -> Transactions.readSnapshot(c.dataSource(), conn -> {
          throw boom;
        }));
    assertSame(boom, thrown);
    assertEquals(2, thrown.getSuppressed().length, "the rollback and the first reset that failed");
    assertTrue(c.calls.contains("close"), "the connection is closed anyway");
  }

  @Test
  void aFailingResetAfterSuccessIsReported() {
    FakeConnection c = new FakeConnection("setAutoCommit(true)");
    assertThrows(DatabaseException.class, () -> Transactions.inTransaction(c.dataSource(), conn -> 1));
  }

  @Test
  void readSnapshotSetsAndResetsTheConnection() {
    FakeConnection c = new FakeConnection();
    assertEquals("x", Transactions.readSnapshot(c.dataSource(), conn -> "x"));
    assertEquals(List.of("getTransactionIsolation", "setAutoCommit(false)", "setReadOnly(true)",
        "setTransactionIsolation(" + Connection.TRANSACTION_REPEATABLE_READ + ")", "commit",
        "setTransactionIsolation(" + Connection.TRANSACTION_READ_COMMITTED + ")", "setReadOnly(false)",
        "setAutoCommit(true)", "close"), c.calls);
  }

  @Test
  void noConnectionIsAnOutage() {
    DataSource down = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (p, m, a) -> {
          throw new SQLException("Acquisition timeout while waiting for new connection");
        });
    DatabaseException e = assertThrows(DatabaseException.class, () -> Transactions.inTransaction(down, c -> 1));
    assertTrue(e.outage());
    assertArrayEquals(new Object[0], e.getSuppressed());
  }
}
