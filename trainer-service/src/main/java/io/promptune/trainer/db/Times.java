package io.promptune.trainer.db;

import com.google.protobuf.Timestamp;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;

/** Database timestamps to protobuf Timestamps and page-cursor micros. */
public final class Times {

  private Times() {}

  public static Timestamp proto(OffsetDateTime t) {
    if (t == null) {
      return Timestamp.getDefaultInstance();
    }
    return Timestamp.newBuilder().setSeconds(t.toEpochSecond()).setNanos(t.getNano()).build();
  }

  public static long micros(OffsetDateTime t) {
    return ChronoUnit.MICROS.between(java.time.Instant.EPOCH, t.toInstant());
  }

  public static OffsetDateTime fromMicros(long micros) {
    return OffsetDateTime.ofInstant(java.time.Instant.EPOCH.plus(micros, ChronoUnit.MICROS),
        java.time.ZoneOffset.UTC);
  }
}
