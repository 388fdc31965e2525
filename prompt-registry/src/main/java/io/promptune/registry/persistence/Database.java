package io.promptune.registry.persistence;

import io.promptune.common.db.SqlWork;
import io.promptune.common.db.Transactions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import javax.sql.DataSource;

/**
 * The registry's database: every write of the registry is one {@link #inTransaction} call, all of it commits or
 * none of it does. Isolation is READ COMMITTED; the services take explicit row locks where order matters. The
 * transaction handling itself is service-common's {@link Transactions}.
 */
@ApplicationScoped
public class Database {

  @Inject
  DataSource dataSource;

  /** Runs {@code work} in one transaction; commits when it returns, rolls back when it throws. */
  public <T> T inTransaction(SqlWork<T> work) {
    return Transactions.inTransaction(dataSource, work);
  }

  /**
   * Runs read-only {@code work} in a REPEATABLE READ, read-only transaction, so that every statement of it sees
   * the same snapshot (a version and its lineage, a page and its total, ...).
   */
  public <T> T read(SqlWork<T> work) {
    return Transactions.readSnapshot(dataSource, work);
  }
}
