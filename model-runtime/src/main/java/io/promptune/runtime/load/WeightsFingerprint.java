package io.promptune.runtime.load;

import io.promptune.common.safetensors.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * sha256 (hex) over the weights as loaded. For each tensor in sorted name order: the name in UTF-8, one 0 byte,
 * the rank as int32 little-endian, each dimension as int64 little-endian, then the float32 little-endian values.
 * The same weights therefore have the same fingerprint whether stored as one file or sharded; F16/BF16 files are
 * fingerprinted after their conversion to float32.
 */
public final class WeightsFingerprint {

  private WeightsFingerprint() {}

  public static String compute(Map<String, TensorData> tensors) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    SortedMap<String, TensorData> sorted = tensors instanceof SortedMap<String, TensorData> s && s.comparator() == null
        ? s : new TreeMap<>(tensors);
    for (Map.Entry<String, TensorData> e : sorted.entrySet()) {
      md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      long[] shape = e.getValue().shape();
      ByteBuffer sb = ByteBuffer.allocate(4 + 8 * shape.length).order(ByteOrder.LITTLE_ENDIAN);
      sb.putInt(shape.length);
      for (long d : shape) {
        sb.putLong(d);
      }
      md.update(sb.flip());
      md.update(e.getValue().buffer());
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
