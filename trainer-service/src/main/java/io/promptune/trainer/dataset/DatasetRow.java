package io.promptune.trainer.dataset;

import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.trainer.db.Times;
import java.time.OffsetDateTime;
import java.util.List;

/** A stored dataset's metadata (its records live in trainer.dataset_splits). */
public record DatasetRow(String id, String name, String description, DatasetFormat format, List<String> fields,
    long numTrain, long numValidation, String createdBy, OffsetDateTime createTime) {

  public Dataset toProto() {
    return Dataset.newBuilder()
        .setId(id)
        .setName(name)
        .setDescription(description)
        .setFormat(format)
        .addAllFields(fields)
        .setNumTrain(numTrain)
        .setNumValidation(numValidation)
        .setCreateTime(Times.proto(createTime))
        .build();
  }
}
