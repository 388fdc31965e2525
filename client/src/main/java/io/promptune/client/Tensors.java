package io.promptune.client;

import io.promptune.api.v1.Tensor;

/**
 * Matrices (a soft prompt P is [prompt_length][d_model]) to and from the v1 {@link Tensor} message: FLOAT32,
 * row-major, little-endian.
 */
public final class Tensors {

  private Tensors() {}

  /** A FLOAT32 tensor of shape [rows, columns]; every row must have the same length, and there must be a row. */
  public static Tensor fromMatrix(float[][] rows) {
    if (rows == null || rows.length == 0) {
      throw new IllegalArgumentException("a matrix needs at least one row");
    }
    int columns = rows[0].length;
    float[] flat = new float[Math.multiplyExact(rows.length, columns)];
    for (int r = 0; r < rows.length; r++) {
      if (rows[r].length != columns) {
        throw new IllegalArgumentException("row " + r + " has " + rows[r].length + " values, row 0 has " + columns);
      }
      System.arraycopy(rows[r], 0, flat, r * columns, columns);
    }
    return io.promptune.api.Tensors.float32(flat, rows.length, columns);
  }

  /**
   * The rows of a 2-D FLOAT32 tensor. Throws IllegalArgumentException when it is not FLOAT32, not 2-D, its bytes
   * do not match its shape, or a value is NaN or infinite.
   */
  public static float[][] toMatrix(Tensor tensor) {
    if (tensor.getShapeCount() != 2) {
      throw new IllegalArgumentException("a matrix is 2-D, this tensor has shape " + tensor.getShapeList());
    }
    float[] flat = io.promptune.api.Tensors.toFloats(tensor, "tensor");
    int rows = Math.toIntExact(tensor.getShape(0));
    int columns = Math.toIntExact(tensor.getShape(1));
    float[][] out = new float[rows][columns];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(flat, r * columns, out[r], 0, columns);
    }
    return out;
  }
}
