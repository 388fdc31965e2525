package io.promptune.gateway.json;

import io.promptune.api.v1.PageRequest;
import io.promptune.gateway.errors.ApiError;
import jakarta.ws.rs.QueryParam;

/** {@code ?page_size=&page_token=} on every listing. */
public class PageParams {

  @QueryParam("page_size")
  Integer pageSize;

  @QueryParam("page_token")
  String pageToken;

  public PageRequest toProto(int max) {
    int size = pageSize == null ? 0 : pageSize;
    if (size < 0 || size > max) {
      throw ApiError.invalidField("page_size", "page_size must be between 1 and " + max + " (0 or absent: 50).");
    }
    return PageRequest.newBuilder().setPageSize(size).setPageToken(pageToken == null ? "" : pageToken).build();
  }
}
