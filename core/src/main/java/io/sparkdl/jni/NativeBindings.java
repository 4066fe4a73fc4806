package io.sparkdl.jni;

import java.nio.ByteBuffer;

/**
 * The only {@code native} declarations of sparkdl. {@code javac -h} generates the C header that
 * {@code jni/} implements, so the two cannot drift.
 *
 * <p>Handles are raw addresses of TF C API objects ({@code TF_Graph*}, {@code TF_Session*},
 * {@code TF_Tensor*}, {@code TF_Operation*}, {@code TF_OperationDescription*}). Callers own them:
 * the {@code io.sparkdl.tf} layer wraps each kind in one {@code AutoCloseable} class and checks
 * arguments before they cross. A zero handle is rejected with {@link IllegalArgumentException}.
 *
 * <p>TF errors surface as {@link NativeException} carrying the {@code TF_Code}; no C++ exception
 * or TF error ever crosses as a signal.
 *
 * <p>Load the library with {@link NativeLibrary#load()} before calling anything here.
 */
public final class NativeBindings {
  private NativeBindings() {}

  /** {@code TF_Version()} of the loaded runtime, e.g. "2.18.0". */
  public static native String tfVersion();

  /**
   * Sets the process environment variable {@code name} to {@code value} unless it is already set
   * (a value the user exported wins). Lives in {@code libsparkdl_env.so}, which links no TF, so
   * {@link NativeLibrary} can call it before the TF runtime loads and reads its settings. It does
   * not call {@code setenv}, which is unsafe next to other threads' {@code getenv}: it publishes
   * a new environment array and never frees the old one (see jni/src/env.cc).
   */
  public static native void setEnvDefault(String name, String value);

  // ---- graphs -----------------------------------------------------------------------------

  public static native long graphNew();

  /** Deletes the graph; TF defers the free until every session on it is deleted. */
  public static native void graphDelete(long graph);

  /** Imports a serialized GraphDef into {@code graph}, op names prefixed by {@code prefix}. */
  public static native void graphImport(long graph, byte[] graphDef, String prefix);

  /** Serializes the graph to GraphDef bytes. */
  public static native byte[] graphToGraphDef(long graph);

  /** The {@code TF_Operation*} named {@code name}, or 0 when there is none. */
  public static native long graphOperation(long graph, String name);

  /** Every operation of the graph, in the graph's order. */
  public static native long[] graphOperations(long graph);

  public static native String operationName(long op);

  public static native String operationType(long op);

  public static native int operationNumInputs(long op);

  public static native int operationNumOutputs(long op);

  /** {@code TF_DataType} code of output {@code index}. */
  public static native int operationOutputType(long op, int index);

  /** Static shape of output {@code index}: null for unknown rank, -1 for an unknown dimension. */
  public static native long[] operationOutputShape(long graph, long op, int index);

  /** The {@code TF_DataType} code of a type attribute ({@code "dtype"} of a Placeholder). */
  public static native int operationAttrType(long op, String attrName);

  // ---- building graphs (TF_NewOperation ... TF_FinishOperation) --------------------------

  /** Starts an operation; returns a {@code TF_OperationDescription*} to finish exactly once. */
  public static native long opBuilderNew(long graph, String opType, String name);

  public static native void opBuilderAddInput(long desc, long op, int index);

  public static native void opBuilderAddInputList(long desc, long[] ops, int[] indices);

  public static native void opBuilderAddControlInput(long desc, long op);

  public static native void opBuilderSetAttrType(long desc, String name, int dtype);

  /** {@code dims} null for unknown rank, -1 entries for unknown dimensions. */
  public static native void opBuilderSetAttrShape(long desc, String name, long[] dims);

  public static native void opBuilderSetAttrInt(long desc, String name, long value);

  public static native void opBuilderSetAttrIntList(long desc, String name, long[] values);

  public static native void opBuilderSetAttrFloat(long desc, String name, float value);

  public static native void opBuilderSetAttrBool(long desc, String name, boolean value);

  public static native void opBuilderSetAttrString(long desc, String name, byte[] value);

  /** Copies the tensor into the attribute; the caller still owns {@code tensor}. */
  public static native void opBuilderSetAttrTensor(long desc, String name, long tensor);

  /**
   * Finishes the description (freeing it, also on failure) and returns the new {@code
   * TF_Operation*}.
   */
  public static native long opBuilderFinish(long desc);

  /**
   * Frees a description that will not be built, adding nothing to the graph (the C API frees
   * descriptions only in {@code TF_FinishOperation}: this finishes it with one attribute set to
   * two values, which TF rejects).
   */
  public static native void opBuilderAbandon(long desc);

  // ---- sessions ---------------------------------------------------------------------------

  /**
   * Lets sessions whose ConfigProto asks for XLA auto-clustering cluster CPU ops (TF's
   * process-wide {@code tf_xla_cpu_global_jit}); other sessions are unaffected. TF reads it when
   * it makes the first session's devices: {@link NativeLibrary#load()} calls it before any.
   */
  public static native void enableXlaCpuJit();

  /**
   * A session over {@code graph}; {@code configProto} is a serialized ConfigProto (may be empty);
   * {@code target} a server's target ({@code grpc://host:port}), or empty for this process.
   */
  public static native long sessionNew(long graph, byte[] configProto, String target);

  /**
   * Loads a SavedModel into the empty {@code graph} and returns its session (on {@code target}, as
   * {@link #sessionNew}). {@code metaGraphDefOut[0]} receives the serialized MetaGraphDef.
   */
  public static native long sessionFromSavedModel(
      long graph, String exportDir, String[] tags, byte[] configProto, String target,
      byte[][] metaGraphDefOut);

  // ---- servers -----------------------------------------------------------------------------

  /**
   * Makes and starts a TF gRPC server from a serialized ServerDef. There is no delete: TF cannot
   * stop a started server and aborts the process when one is deleted, so a server lives as long
   * as the process (docs/training.md).
   */
  public static native long serverStart(byte[] serverDef);

  /** The server's target, {@code grpc://host:port}, for sessions to run on it. */
  public static native String serverTarget(long server);

  /**
   * Closes the session ({@code TF_CloseSession}) without deleting it: runs in flight (one blocked
   * in a collective, say) end with CANCELLED, later runs fail (a session on a server target that
   * never ran has nothing to close yet). Safe while other threads run it.
   */
  public static native void sessionCancel(long session);

  /** Closes and deletes the session. */
  public static native void sessionDelete(long session);

  /**
   * One {@code TF_SessionRun}: feeds are {@code (feedOps[i]:feedIndices[i]) <- feedTensors[i]}
   * (the caller keeps ownership of the feed tensors), fetches {@code fetchOps[j]:fetchIndices[j]}
   * are written to {@code fetchTensorsOut[j]} as new tensors the caller owns, targets are run for
   * their effects. On failure nothing is written and every tensor produced is freed.
   */
  public static native void sessionRun(
      long session,
      long[] feedOps,
      int[] feedIndices,
      long[] feedTensors,
      long[] fetchOps,
      int[] fetchIndices,
      long[] targetOps,
      long[] fetchTensorsOut);

  // ---- tensors ----------------------------------------------------------------------------

  /** A new tensor of a fixed-size dtype with uninitialised contents of {@code byteSize} bytes. */
  public static native long tensorAllocate(int dtype, long[] dims, long byteSize);

  /** A new TF_STRING tensor holding {@code values} (row-major, one per element). */
  public static native long tensorNewStrings(long[] dims, byte[][] values);

  public static native void tensorDelete(long tensor);

  public static native int tensorType(long tensor);

  public static native long[] tensorShape(long tensor);

  public static native long tensorByteSize(long tensor);

  /**
   * A direct, native-order view of a fixed-size tensor's memory, valid until {@link
   * #tensorDelete}. Tensors over 2 GiB are rejected.
   */
  public static native ByteBuffer tensorData(long tensor);

  /**
   * Empties a direct buffer made by {@link #tensorData} before its tensor is freed: capacity,
   * limit and position 0, address 0, so any read or write through it (or through a {@code clear()}
   * of it) throws an {@code IndexOutOfBoundsException} or {@code BufferUnderflowException} instead
   * of touching freed memory. Views derived from it earlier keep their own bounds.
   */
  public static native void directBufferClear(ByteBuffer buffer);

  /**
   * The address of a fixed-size tensor's memory (0 for an empty tensor), valid until {@link
   * #tensorDelete}: for bulk copies with {@code Unsafe}-style memory access, beyond 2 GiB too.
   */
  public static native long tensorAddress(long tensor);

  /** The elements of a TF_STRING tensor, row-major. */
  public static native byte[][] tensorStrings(long tensor);
}
