package io.promptune.trainer.dataset;

import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.Split;
import io.promptune.common.db.DatabaseException;
import io.promptune.common.db.Transactions;
import io.promptune.common.paging.PageTokens;
import io.promptune.trainer.db.Times;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.sql.DataSource;

/** trainer.datasets and trainer.dataset_splits. */
@ApplicationScoped
public class DatasetRepository {

  private static final String COLUMNS =
      "id, name, description, format, fields, num_train, num_validation, created_by, create_time";

  @Inject
  DataSource db;

  public Optional<DatasetRow> findById(String id) {
    return queryOne("SELECT " + COLUMNS + " FROM trainer.datasets WHERE id = ?", id);
  }

  public Optional<DatasetRow> findByName(String name) {
    return queryOne("SELECT " + COLUMNS + " FROM trainer.datasets WHERE name = ?", name);
  }

  /** By id, else by name. */
  public Optional<DatasetRow> find(String idOrName) {
    Optional<DatasetRow> byId = findById(idOrName);
    return byId.isPresent() ? byId : findByName(idOrName);
  }

  /**
   * Stores a new dataset unless one with the same id exists already.
   *
   * @return true when this call inserted it
   * @throws DatabaseException with SQLSTATE 23505 when the name belongs to another dataset
   */
  public boolean insert(DatasetRow row, CanonicalDataset data) {
    return Transactions.inTransaction(db, c -> {
      boolean inserted;
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO trainer.datasets (id, name, description, format,"
          + " fields, num_train, num_validation, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (id) DO NOTHING")) {
        ps.setString(1, row.id());
        ps.setString(2, row.name());
        ps.setString(3, row.description());
        ps.setString(4, row.format().name());
        ps.setArray(5, c.createArrayOf("text", row.fields().toArray()));
        ps.setLong(6, row.numTrain());
        ps.setLong(7, row.numValidation());
        ps.setString(8, row.createdBy());
        inserted = ps.executeUpdate() == 1;
      }
      if (inserted) {
        insertSplit(c, row.id(), Split.TRAIN, data.train());
        insertSplit(c, row.id(), Split.VALIDATION, data.validation());
      }
      return inserted;
    });
  }

  private static void insertSplit(Connection c, String id, Split split, List<DataRecord> records)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO trainer.dataset_splits (dataset_id, split, num_records, records_gz) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, split.name());
      ps.setLong(3, records.size());
      ps.setBytes(4, gzip(CanonicalDataset.canonicalBytes(records)));
      ps.executeUpdate();
    }
  }

  /** All records of one split, in stored order. */
  public List<DataRecord> records(String datasetId, Split split) {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT records_gz FROM trainer.dataset_splits WHERE dataset_id = ? AND split = ?")) {
      ps.setString(1, datasetId);
      ps.setString(2, split.name());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return List.of();
        }
        return CanonicalDataset.parseCanonical(gunzip(rs.getBytes(1)));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading dataset " + datasetId + ": " + e.getMessage(), e);
    }
  }

  /** Newest first. */
  public List<DatasetRow> list(int limit, PageTokens.Keyset after) {
    String sql = "SELECT " + COLUMNS + " FROM trainer.datasets"
        + (after == null ? "" : " WHERE (create_time, id) < (?, ?)")
        + " ORDER BY create_time DESC, id DESC LIMIT ?";
    try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      if (after != null) {
        ps.setObject(i++, Times.fromMicros(after.position()));
        ps.setString(i++, after.key());
      }
      ps.setInt(i, limit);
      List<DatasetRow> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("listing datasets: " + e.getMessage(), e);
    }
  }

  private Optional<DatasetRow> queryOne(String sql, String arg) {
    try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading datasets: " + e.getMessage(), e);
    }
  }

  private static DatasetRow read(ResultSet rs) throws SQLException {
    Array fields = rs.getArray("fields");
    return new DatasetRow(rs.getString("id"), rs.getString("name"), rs.getString("description"),
        DatasetFormat.valueOf(rs.getString("format")), Arrays.asList((String[]) fields.getArray()),
        rs.getLong("num_train"), rs.getLong("num_validation"), rs.getString("created_by"),
        rs.getObject("create_time", OffsetDateTime.class));
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 4));
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] data) {
    try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(data))) {
      return gz.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
