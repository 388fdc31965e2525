package io.promptune.gateway.datasets;

import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.GetDatasetRequest;
import io.promptune.api.v1.ListDatasetsRequest;
import io.promptune.api.v1.Split;
import io.promptune.gateway.GatewayConfig;
import io.promptune.gateway.auth.Caller;
import io.promptune.gateway.auth.RequiresRole;
import io.promptune.gateway.backend.Backends;
import io.promptune.gateway.errors.ApiError;
import io.promptune.gateway.json.Page;
import io.promptune.gateway.json.PageParams;
import io.promptune.gateway.json.Protos;
import io.promptune.gateway.json.TrainerJson.DatasetJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseStatus;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * Datasets: upload (the file itself as the body with query parameters, or multipart/form-data with a train and an
 * optional validation file), list and get.
 */
@RequiresRole(Role.VIEWER)
@Path("/v1/datasets")
@Blocking
@Tag(name = "datasets")
public class DatasetsResource {

  @Inject
  Backends backends;

  @Inject
  DatasetUploader uploader;

  @Inject
  Caller caller;

  @Inject
  GatewayConfig config;

  @GET
  @Operation(operationId = "listDatasets", summary = "List datasets")
  public Page<DatasetJson> list(@BeanParam PageParams page) {
    var r = backends.trainer(s -> s.listDatasets(ListDatasetsRequest.newBuilder()
        .setPage(page.toProto(config.limits().maxPageSize())).build()));
    return Page.of(r.getDatasetsList().stream().map(DatasetJson::of).toList(), r.getNextPageToken());
  }

  @GET
  @Path("{dataset}")
  @Operation(operationId = "getDataset", summary = "Get a dataset by id or name")
  @APIResponse(responseCode = "200") // the scanner adds the body schema
  @APIResponse(responseCode = "404", ref = "NotFound")
  public DatasetJson get(@PathParam("dataset") String dataset) {
    return DatasetJson.of(backends.trainer(s -> s.getDataset(GetDatasetRequest.newBuilder().setDataset(dataset)
        .build())));
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @Operation(operationId = "uploadDataset",
      summary = "Upload a dataset file as the request body", description = "Needs the trainer role. "
      + "Query: name (required), format (jsonl, csv, tsv; else from the Content-Type), split (train or "
      + "validation; default train), description, validation_fraction, column_mapping (src:dst,src:dst). "
      + "Uploading the same content again returns the existing dataset.")
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "201", description = "Created", // (two methods, one operation: no scanned 200)
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = DatasetJson.class)))
  public DatasetJson uploadBody(InputStream body, @QueryParam("name") String name,
      @QueryParam("format") String format, @QueryParam("split") String split,
      @QueryParam("description") String description, @QueryParam("validation_fraction") Float validationFraction,
      @QueryParam("column_mapping") String columnMapping, @HeaderParam("Content-Type") String contentType) {
    DatasetFormat f = format(format, contentType, null);
    Split s = Protos.parse(Split.class, split, "split", Split.TRAIN);
    DatasetHeader header = header(name, description, f, validationFraction, columnMapping);
    return DatasetJson.of(uploader.upload(caller.identity(), header, List.of(new DatasetUploader.Part(s, body))));
  }

  @POST
  @Consumes(MediaType.MULTIPART_FORM_DATA)
  @ResponseStatus(201)
  @RequiresRole(Role.TRAINER)
  @Operation(operationId = "uploadDataset",
      summary = "Upload a dataset as multipart/form-data", description = "Needs the trainer role. Parts: "
      + "train (file, required), validation (file, optional), name, format, description, validation_fraction, "
      + "column_mapping.")
  @APIResponse(responseCode = "403", ref = "Forbidden")
  @APIResponse(responseCode = "201", description = "Created", // (two methods, one operation: no scanned 200)
      content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = DatasetJson.class)))
  public DatasetJson uploadForm(@RestForm("name") String name, @RestForm("format") String format,
      @RestForm("description") String description, @RestForm("validation_fraction") Float validationFraction,
      @RestForm("column_mapping") String columnMapping, @RestForm("train") FileUpload train,
      @RestForm("validation") FileUpload validation) throws IOException {
    if (train == null) {
      throw ApiError.invalidField("train", "The form needs a file part named 'train' (and optionally "
          + "'validation').");
    }
    DatasetFormat f = format(format, train.contentType(), train.fileName());
    DatasetHeader header = header(name, description, f, validationFraction, columnMapping);
    List<InputStream> open = new ArrayList<>();
    try {
      List<DatasetUploader.Part> parts = new ArrayList<>();
      InputStream t = Files.newInputStream(train.uploadedFile());
      open.add(t);
      parts.add(new DatasetUploader.Part(Split.TRAIN, t));
      if (validation != null) {
        InputStream v = Files.newInputStream(validation.uploadedFile());
        open.add(v);
        parts.add(new DatasetUploader.Part(Split.VALIDATION, v));
      }
      return DatasetJson.of(uploader.upload(caller.identity(), header, parts));
    } finally {
      for (InputStream in : open) {
        in.close();
      }
    }
  }

  private static DatasetHeader header(String name, String description, DatasetFormat format, Float fraction,
      String columnMapping) {
    if (name == null || name.isBlank()) {
      throw ApiError.invalidField("name", "A dataset 'name' is required.");
    }
    DatasetHeader.Builder h = DatasetHeader.newBuilder().setName(name.trim())
        .setDescription(Protos.orEmpty(description)).setFormat(format)
        .setValidationFraction(fraction == null ? 0f : fraction);
    h.putAllColumnMapping(columnMapping(columnMapping));
    return h.build();
  }

  static Map<String, String> columnMapping(String s) {
    if (s == null || s.isBlank()) {
      return Map.of();
    }
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String pair : s.split(",")) {
      String[] kv = pair.split(":", 2);
      if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
        throw ApiError.invalidField("column_mapping", "column_mapping must look like 'text:input,label:target' "
            + "(source field:name used by the task format); got '" + s + "'.");
      }
      m.put(kv[0].trim(), kv[1].trim());
    }
    return m;
  }

  static DatasetFormat format(String format, String contentType, String fileName) {
    if (format != null && !format.isBlank()) {
      return Protos.parse(DatasetFormat.class, format, "format", null);
    }
    String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    if (ct.contains("ndjson") || ct.contains("jsonl") || ct.contains("json-lines") || ct.contains("jsonlines")) {
      return DatasetFormat.JSONL;
    }
    if (ct.startsWith("text/csv")) {
      return DatasetFormat.CSV;
    }
    if (ct.startsWith("text/tab-separated-values")) {
      return DatasetFormat.TSV;
    }
    String fn = fileName == null ? "" : fileName.toLowerCase(Locale.ROOT);
    if (fn.endsWith(".jsonl") || fn.endsWith(".ndjson")) {
      return DatasetFormat.JSONL;
    }
    if (fn.endsWith(".csv")) {
      return DatasetFormat.CSV;
    }
    if (fn.endsWith(".tsv")) {
      return DatasetFormat.TSV;
    }
    throw ApiError.invalidField("format", "Say which format the file has: format=jsonl, csv or tsv (or send "
        + "Content-Type application/x-ndjson, text/csv or text/tab-separated-values).");
  }
}
