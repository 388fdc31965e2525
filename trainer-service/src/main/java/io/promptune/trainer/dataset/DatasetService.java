package io.promptune.trainer.dataset;

import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetDatasetRequest;
import io.promptune.api.v1.ListDatasetsRequest;
import io.promptune.api.v1.ListDatasetsResponse;
import io.promptune.common.db.DatabaseException;
import io.promptune.common.errors.ServiceException;
import io.promptune.common.paging.PageTokens;
import io.promptune.trainer.config.TrainerConfig;
import io.promptune.trainer.db.Times;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/** Upload, lookup and listing of datasets. */
@ApplicationScoped
public class DatasetService {

  private static final String DATASETS_SCOPE = "datasets";

  @Inject
  DatasetRepository datasets;

  @Inject
  TrainerConfig config;

  public DatasetUpload newUpload() {
    var d = config.dataset();
    return new DatasetUpload(new DatasetLimits(d.maxBytes(), d.maxRecords(), d.maxChunkBytes()));
  }

  /**
   * Stores the upload. The same records again return the stored dataset (whatever name it was given); a name
   * already used by other records is ALREADY_EXISTS.
   */
  public Dataset store(DatasetUpload upload, String actor) {
    DatasetHeader h = upload.header();
    CanonicalDataset data = upload.build();
    var existing = datasets.findById(data.id());
    if (existing.isPresent()) {
      return existing.get().toProto();
    }
    DatasetRow row = new DatasetRow(data.id(), h.getName(), h.getDescription(), h.getFormat(), data.fields(),
        data.train().size(), data.validation().size(), actor, null);
    try {
      datasets.insert(row, data);
    } catch (DatabaseException e) {
      if ("23505".equals(e.sqlState())) {
        var again = datasets.findById(data.id());
        if (again.isPresent()) {
          return again.get().toProto();
        }
        throw new ServiceException(ErrorReason.ALREADY_EXISTS,
            "a different dataset is already named \"" + h.getName() + "\"", Map.of("name", h.getName()));
      }
      throw e;
    }
    return datasets.findById(data.id()).orElseThrow().toProto();
  }

  public DatasetRow require(String idOrName) {
    if (idOrName == null || idOrName.isEmpty()) {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "dataset (id or name) is required");
    }
    return datasets.find(idOrName).orElseThrow(() -> new ServiceException(ErrorReason.NOT_FOUND,
        "no dataset with id or name \"" + idOrName + "\"", Map.of("dataset", idOrName)));
  }

  /**
   * The dataset by id or name. GetDatasetRequest.preview_records is not honoured yet: the v1 Dataset message has
   * no field to carry records (a proto change is requested).
   */
  public Dataset get(GetDatasetRequest request) {
    return require(request.getDataset()).toProto();
  }

  public ListDatasetsResponse list(ListDatasetsRequest request) {
    int size = PageTokens.size(request.getPage());
    List<DatasetRow> rows = datasets.list(size + 1,
        PageTokens.decodeKeyset(request.getPage().getPageToken(), DATASETS_SCOPE));
    ListDatasetsResponse.Builder out = ListDatasetsResponse.newBuilder();
    for (int i = 0; i < Math.min(size, rows.size()); i++) {
      out.addDatasets(rows.get(i).toProto());
    }
    if (rows.size() > size) {
      DatasetRow last = rows.get(size - 1);
      out.setNextPageToken(PageTokens.encode(DATASETS_SCOPE,
          new PageTokens.Keyset(Times.micros(last.createTime()), last.id())));
    }
    return out.build();
  }
}
