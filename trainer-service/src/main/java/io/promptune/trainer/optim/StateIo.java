package io.promptune.trainer.optim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Float arrays in checkpoints: length then raw IEEE 754 bits, so values round-trip bit for bit. */
public final class StateIo {

  private StateIo() {}

  public static void writeFloats(DataOutput out, float[] a) throws IOException {
    if (a == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(a.length);
    for (float v : a) {
      out.writeInt(Float.floatToRawIntBits(v));
    }
  }

  public static float[] readFloats(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = Float.intBitsToFloat(in.readInt());
    }
    return a;
  }

  /** Reads an array that must have exactly {@code expected} elements. */
  public static float[] readFloats(DataInput in, int expected, String what) throws IOException {
    float[] a = readFloats(in);
    if (a == null || a.length != expected) {
      throw new IOException(what + ": expected " + expected + " values, got " + (a == null ? "none" : a.length));
    }
    return a;
  }
}
