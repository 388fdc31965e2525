package io.promptune.gateway.limits;

import io.promptune.gateway.errors.ApiError;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reads at most {@code limit} bytes, then fails with a 413 {@link ApiError}. */
public final class LimitedInputStream extends FilterInputStream {

  private final long limit;
  private final String what;
  private long count;

  public LimitedInputStream(InputStream in, long limit, String what) {
    super(in);
    this.limit = limit;
    this.what = what;
  }

  private void add(long n) {
    if (n > 0) {
      count += n;
      if (count > limit) {
        throw ApiError.tooLarge(what + " is larger than the " + limit + " bytes this gateway accepts.", limit);
      }
    }
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      add(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    add(n);
    return n;
  }

  public long count() {
    return count;
  }
}
