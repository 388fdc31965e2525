package io.promptune.registry.domain;

import io.promptune.api.v1.DType;
import io.promptune.api.v1.ErrorReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** A validated prompt matrix: [length, dModel] float32, little-endian, row-major, every element finite. */
public record PromptTensor(int length, int dModel, byte[] data) {

  /** The limits a prompt tensor must respect. */
  public record Limits(int maxLength, long maxBytes) {}

  /**
   * Checks an incoming tensor. {@code what} names it in messages (e.g. "tensor", "prompt_embeddings"). Wrong rank
   * is SHAPE_MISMATCH; every other defect INVALID_TENSOR.
   */
  public static PromptTensor validate(DType dtype, List<Long> shape, byte[] data, Limits limits, String what) {
    if (dtype != DType.FLOAT32) {
      throw bad(ErrorReason.INVALID_TENSOR, what, what + ": dtype must be FLOAT32, got " + dtype);
    }
    if (shape.size() != 2) {
      throw bad(ErrorReason.SHAPE_MISMATCH, what, what + ": shape must be 2-D [length, d_model], got " + shape);
    }
    long length = shape.get(0);
    long dModel = shape.get(1);
    if (length < 1 || dModel < 1) {
      throw bad(ErrorReason.INVALID_TENSOR, what, what + ": both dimensions must be at least 1, got " + shape);
    }
    if (length > limits.maxLength()) {
      throw bad(ErrorReason.INVALID_TENSOR, what, what + ": length " + length + " exceeds the limit of "
          + limits.maxLength() + " rows");
    }
    long maxElements = limits.maxBytes() / Float.BYTES;
    if (dModel > maxElements || length * dModel > maxElements) {
      throw bad(ErrorReason.INVALID_TENSOR, what, what + ": shape " + shape + " is " + length * dModel * Float.BYTES
          + " bytes, over the limit of " + limits.maxBytes() + " bytes");
    }
    long expected = length * dModel * Float.BYTES;
    if (data.length != expected) {
      throw bad(ErrorReason.INVALID_TENSOR, what, what + ": shape " + shape + " needs " + expected
          + " bytes of float32, got " + data.length);
    }
    requireFinite(data, (int) dModel, what);
    return new PromptTensor((int) length, (int) dModel, data);
  }

  private static void requireFinite(byte[] data, int dModel, String what) {
    ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0, n = data.length / Float.BYTES; i < n; i++) {
      int bits = buf.getInt(i * Float.BYTES);
      // Exponent all ones: Inf or NaN.
      if ((bits & 0x7f80_0000) == 0x7f80_0000) {
        throw bad(ErrorReason.INVALID_TENSOR, what, what + ": element [" + (i / dModel) + ", " + (i % dModel)
            + "] is " + Float.intBitsToFloat(bits) + "; every element must be finite");
      }
    }
  }

  private static RegistryException bad(ErrorReason reason, String what, String message) {
    return new RegistryException(reason, message, Map.of("field", what));
  }

  /** sha256 (lowercase hex) of the bytes, as stored and returned. */
  public String sha256() {
    return sha256Hex(data);
  }

  public static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
