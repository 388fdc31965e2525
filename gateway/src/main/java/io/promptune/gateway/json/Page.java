package io.promptune.gateway.json;

import java.util.List;

/** One page of a listing; pass {@code next_page_token} back as {@code page_token} until it is absent. */
public record Page<T>(List<T> items, String nextPageToken) {

  public static <T> Page<T> of(List<T> items, String next) {
    return new Page<>(items, Protos.str(next));
  }
}
