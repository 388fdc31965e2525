package io.promptune.trainer.dataset;

import io.promptune.api.v1.DataChunk;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.Split;
import io.promptune.api.v1.UploadDatasetRequest;
import io.promptune.common.errors.ServiceException;
import java.io.ByteArrayOutputStream;
import java.util.HashSet;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** One UploadDataset stream being received: the header, then chunks appended per split, with limits enforced. */
public final class DatasetUpload {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final DatasetLimits limits;
  private DatasetHeader header;
  private final ByteArrayOutputStream train = new ByteArrayOutputStream();
  private final ByteArrayOutputStream validation = new ByteArrayOutputStream();
  private boolean sawValidation;
  private long total;

  public DatasetUpload(DatasetLimits limits) {
    this.limits = limits;
  }

  public void accept(UploadDatasetRequest message) {
    switch (message.getKindCase()) {
      case HEADER -> {
        if (header != null) {
          throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "the header was already sent; send it once, first");
        }
        header = validate(message.getHeader());
      }
      case CHUNK -> {
        if (header == null) {
          throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "the first message must be the header");
        }
        append(message.getChunk());
      }
      default -> throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "empty UploadDatasetRequest");
    }
  }

  private void append(DataChunk chunk) {
    int size = chunk.getData().size();
    if (size > limits.maxChunkBytes()) {
      throw new ServiceException(ErrorReason.REQUEST_TOO_LARGE,
          "a chunk holds at most " + limits.maxChunkBytes() + " bytes, got " + size);
    }
    total += size;
    if (total > limits.maxBytes()) {
      throw new ServiceException(ErrorReason.MALFORMED_FILE,
          "the dataset is over the size limit of " + limits.maxBytes() + " bytes");
    }
    if (chunk.getSplit() == Split.VALIDATION) {
      sawValidation = true;
      validation.writeBytes(chunk.getData().toByteArray());
    } else if (chunk.getSplit() == Split.TRAIN || chunk.getSplit() == Split.SPLIT_UNSPECIFIED) {
      train.writeBytes(chunk.getData().toByteArray());
    } else {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "unknown split " + chunk.getSplitValue());
    }
  }

  private static DatasetHeader validate(DatasetHeader h) {
    if (!NAME.matcher(h.getName()).matches()) {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT,
          "name must be 1-128 of [A-Za-z0-9._-] starting with a letter or digit, got \"" + h.getName() + "\"",
          java.util.Map.of("field", "header.name"));
    }
    if (h.getFormat() != DatasetFormat.JSONL && h.getFormat() != DatasetFormat.CSV
        && h.getFormat() != DatasetFormat.TSV) {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT,
          "format must be JSONL, CSV or TSV", java.util.Map.of("field", "header.format"));
    }
    float f = h.getValidationFraction();
    if (!Float.isFinite(f) || f >= 1) {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "validation_fraction must be < 1 (0 means 0.1, "
          + "negative means no validation split), got " + f);
    }
    Set<String> targets = new HashSet<>();
    for (var e : h.getColumnMappingMap().entrySet()) {
      if (e.getKey().isEmpty() || e.getValue().isEmpty()) {
        throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "column_mapping entries need a source and a name");
      }
      if (e.getValue().contains("{") || e.getValue().contains("}")) {
        throw new ServiceException(ErrorReason.INVALID_ARGUMENT,
            "column_mapping name \"" + e.getValue() + "\" must not contain braces");
      }
      if (!targets.add(e.getValue())) {
        throw new ServiceException(ErrorReason.INVALID_ARGUMENT,
            "column_mapping maps two columns to \"" + e.getValue() + "\"");
      }
    }
    return h;
  }

  public DatasetHeader header() {
    if (header == null) {
      throw new ServiceException(ErrorReason.INVALID_ARGUMENT, "no header was sent");
    }
    return header;
  }

  /** Parses both splits and builds the canonical, content-addressed dataset. */
  public CanonicalDataset build() {
    DatasetHeader h = header();
    SortedMap<String, String> mapping = new TreeMap<>(h.getColumnMappingMap());
    DatasetParser parser = new DatasetParser(limits);
    DatasetParser.ParsedSplit tr = parser.parse(h.getFormat(), train.toByteArray(), mapping, Split.TRAIN, null,
        limits.maxRecords());
    DatasetParser.ParsedSplit va = null;
    if (sawValidation) {
      va = parser.parse(h.getFormat(), validation.toByteArray(), mapping, Split.VALIDATION, tr.fields(),
          limits.maxRecords() - tr.records().size());
    }
    return CanonicalDataset.of(tr.fields(), tr.records(), va == null ? null : va.records(),
        h.getValidationFraction());
  }
}
