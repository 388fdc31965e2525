package io.promptune.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few PyTorch ops DJL's generic API does not offer directly, plus helpers.
 *
 * <p>Manager rule used throughout the model: DJL attaches an op's result to the manager of its <b>first</b>
 * operand. Weights live in a long-lived manager, so a weight is never the first operand of an op (it is always
 * the second: {@code linear(x, w)}, {@code embedding(ids, table)}, {@code x.mul(w)}); results therefore land in
 * the per-call manager of the activations and are freed with it.
 */
public final class Ops {

  private Ops() {}

  /**
   * x · wᵀ for a torch-layout weight [out, in]: x [..., in] → [..., out]. When the weight is held in another
   * dtype than x (float16 weights, float32 activations), x is cast to the weight's dtype, multiplied, and the
   * result cast back to x's dtype ({@link #cast}, so the gradient flows through both casts); with equal dtypes
   * (float32 / float64) it is the plain linear, no casts.
   */
  public static NDArray linear(NDArray x, NDArray w) {
    DataType xt = x.getDataType();
    DataType wt = w.getDataType();
    if (xt == wt) {
      return JniUtils.linear((PtNDArray) x, (PtNDArray) w, null);
    }
    return cast(JniUtils.linear((PtNDArray) cast(x, wt), (PtNDArray) w, null), xt);
  }

  /**
   * x in another floating dtype, differentiably. DJL's {@code toType} runs under a no-grad guard (its result is
   * cut off from autograd), so with grad mode on the cast is done as {@code cumprod} over a new axis of size 1
   * with an output dtype: the same values, and PyTorch's cumprod backward returns the incoming gradient
   * unchanged (cast back to x's dtype) for a size-1 axis. With grad mode off it is the plain {@code toType}.
   */
  public static NDArray cast(NDArray x, DataType type) {
    if (x.getDataType() == type) {
      return x;
    }
    if (!JniUtils.isGradMode()) {
      return x.toType(type, false);
    }
    int r = x.getShape().dimension();
    return JniUtils.cumProd((PtNDArray) x.expandDims(r), r, type).squeeze(r);
  }

  /** Row gather: table[ids]; ids int64 of any shape → [ids.shape..., table.shape[1]]; result in ids' manager. */
  public static NDArray embedding(NDArray ids, NDArray table) {
    return JniUtils.embedding((PtNDArray) ids, (PtNDArray) table, false);
  }

  public static NDArray relu(NDArray x) {
    return JniUtils.relu((PtNDArray) x);
  }

  /** PyTorch's exact (erf) GELU. */
  public static NDArray geluErf(NDArray x) {
    return JniUtils.gelu((PtNDArray) x);
  }

  /** Hugging Face's gelu_new: 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))). */
  public static NDArray geluTanh(NDArray x) {
    NDArray inner = x.add(x.mul(x).mul(x).mul(scalar(x, 0.044715))).mul(scalar(x, Math.sqrt(2.0 / Math.PI)));
    return x.mul(scalar(x, 0.5)).mul(inner.tanh().add(scalar(x, 1.0)));
  }

  /**
   * A 0-dim constant in x's dtype and manager, for arithmetic on the autograd path.
   *
   * <p>Never use DJL's {@code x.mul(Number)} / {@code add(Number)} there: DJL wraps the number in a tensor over
   * a Java direct buffer ({@code from_blob}, not owned by torch) and closes it right after the op, while autograd
   * may have saved that tensor for backward (e.g. MulBackward saves the other factor); once the buffer is garbage
   * collected, backward reads freed memory. This constant stays attached to the call's manager, which keeps its
   * buffer alive until the call (and its backward) is over.
   */
  public static NDArray scalar(NDArray x, double value) {
    NDManager m = x.getManager();
    return x.getDataType() == DataType.FLOAT64 ? m.create(value) : m.create((float) value);
  }

  public static NDArray silu(NDArray x) {
    return x.mul(JniUtils.sigmoid((PtNDArray) x));
  }

  /** A contiguous copy with the given shape (reshape after a permute copies; the result is row-major). */
  public static NDArray contiguous(NDArray x) {
    Shape s = x.getShape();
    return x.reshape(-1).reshape(s);
  }

  /** a[idx] along axis 0 (any rank), contiguous, in idx's manager: reorders / repeats / drops rows. */
  public static NDArray gatherRows(NDArray idx, NDArray a) {
    Shape s = a.getShape();
    long rows = s.get(0);
    long[] dims = s.getShape().clone();
    dims[0] = idx.getShape().get(0);
    return embedding(idx, a.reshape(rows, s.size() / rows)).reshape(new Shape(dims));
  }

  /** int64 array from Java ints. */
  public static NDArray longs(NDManager m, long[] values, Shape shape) {
    return m.create(values, shape);
  }

  /** Floating array in the model dtype from Java floats. */
  public static NDArray floats(NDManager m, float[] values, Shape shape, DataType dtype) {
    NDArray a = m.create(values, shape);
    return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
  }

  /** Floating array in the model dtype from Java doubles (exact in FLOAT64). */
  public static NDArray doubles(NDManager m, double[] values, Shape shape, DataType dtype) {
    NDArray a = m.create(values, shape);
    return dtype == DataType.FLOAT64 ? a : a.toType(dtype, false);
  }

  /** Values as float32 regardless of the array's floating dtype. */
  public static float[] toFloats(NDArray a) {
    return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
  }

  /** Values as float64 regardless of the array's floating dtype. */
  public static double[] toDoubles(NDArray a) {
    return a.getDataType() == DataType.FLOAT64 ? a.toDoubleArray() : a.toType(DataType.FLOAT64, false).toDoubleArray();
  }

  /** torch.finfo(dtype).min, the additive mask value Hugging Face uses. */
  public static double finfoMin(DataType dtype) {
    return dtype == DataType.FLOAT64 ? -Double.MAX_VALUE : -Float.MAX_VALUE;
  }
}
