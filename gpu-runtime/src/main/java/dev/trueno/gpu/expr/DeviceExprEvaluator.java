package dev.trueno.gpu.expr;

import static dev.trueno.gpu.expr.ExprOps.*;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.device.KernelLauncher;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.transfer.DeviceColumn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUpointer_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Evaluates compiled expressions over columns already on the device, all outputs in one launch of
 * {@code expr_eval} (src/main/cuda/expressions.cu), one thread per row.
 *
 * <p>Outputs are device columns in the transfer layout ({@link DeviceColumn}): an Arrow validity
 * bitmap, always present, and Arrow values (bit-packed booleans, 16-byte decimals). A selection
 * output is one bitmap whose bit {@code i} is set exactly where the predicate is TRUE at row {@code
 * i} (not NULL, not false); it is returned as a boolean column whose validity and values are that
 * same bitmap. Bitmaps are written in whole 32-bit words: bits past the last row are zero.
 *
 * <p>Rows are evaluated as the scalar backend evaluates them: row by row, outputs in the order
 * given. Under ANSI the first error in that order wins: the kernel keeps the smallest failing row,
 * a second launch over that row alone collects its operands, and {@link #evaluate} throws the
 * scalar's exception. To evaluate an aggregate's argument only where its FILTER holds (as the
 * scalar does, so that rows outside the filter raise nothing), compile {@code CASE WHEN filter THEN
 * argument END}.
 *
 * <p>Owns its device buffers (the program, outputs, scratch), kept and grown across calls within
 * the pool's budget and freed by {@link #close()}; the outputs of a call are valid until the next
 * call. Not thread-safe: one per operator and thread.
 */
public final class DeviceExprEvaluator implements AutoCloseable {
  /** Threads per block; must match THREADS in common.cuh. */
  static final int THREADS = 256;

  private static final int MAX_BLOCKS = 65_536;
  private static final int DETAIL_LONGS = 5;

  /**
   * One output of an evaluation.
   *
   * @param name the output column's name
   * @param expr the compiled expression
   * @param selection whether to produce a selection bitmap (boolean predicates only) instead of a
   *     column
   */
  public record Output(String name, DeviceExpr expr, boolean selection) {
    /** Validates that a selection is a predicate. */
    public Output {
      if (selection && expr.type().kind() != TypeKind.BOOLEAN) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Selection " + name + " needs a boolean predicate, not " + expr.type());
      }
    }

    /** A column of the expression's values. */
    public static Output value(String name, DeviceExpr expr) {
      return new Output(name, expr, false);
    }

    /** A bitmap of the rows where the predicate is TRUE. */
    public static Output selection(String name, DeviceExpr expr) {
      return new Output(name, expr, true);
    }
  }

  /**
   * The outputs of one evaluation, valid until the evaluator's next call or close.
   *
   * @param rowCount the rows evaluated
   * @param columns one per output, in order
   */
  public record Result(int rowCount, List<DeviceColumn> columns) {
    /** The selection bitmap of output {@code output} (bit set where the predicate is TRUE). */
    public CUdeviceptr selection(int output) {
      return columns.get(output).validity();
    }
  }

  private final CudaDevice device;
  private final DeviceMemoryPool pool;
  private final List<Output> outputs;
  private final Program program;
  private final int[] inputWidths;
  private final boolean canRaise;
  private final List<DeviceBuffer> buffers = new ArrayList<>();
  private final DeviceBuffer codeBuffer;
  private final DeviceBuffer poolBuffer;
  private final DeviceBuffer errorBuffer;
  private ByteBuffer staging;

  /**
   * An evaluator of {@code outputs}; uploads their program once.
   *
   * @throws TruenoException MEMORY_EXHAUSTED when the pool has no room for the program
   */
  public DeviceExprEvaluator(CudaDevice device, DeviceMemoryPool pool, List<Output> outputs) {
    this.device = device;
    this.pool = pool;
    this.outputs = List.copyOf(outputs);
    boolean[] selection = new boolean[outputs.size()];
    List<DeviceExpr> exprs = new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      selection[i] = outputs.get(i).selection();
      exprs.add(outputs.get(i).expr());
    }
    this.program = Program.assemble(exprs, selection);
    this.canRaise = !program.sites().isEmpty();
    this.inputWidths = inputWidths(program.code());
    List<DeviceBuffer> owned = new ArrayList<>();
    try {
      device.makeCurrent();
      codeBuffer = own(owned, program.code().length * 4L, "expression program");
      poolBuffer = own(owned, Math.max(8, program.pool().length * 8L), "expression literals");
      errorBuffer = own(owned, 8L * (1 + DETAIL_LONGS), "expression error record");
      ByteBuffer host = staging(program.code().length * 4);
      host.asIntBuffer().put(program.code());
      JCudaDriver.cuMemcpyHtoD(codeBuffer.pointer(), Pointer.to(host), program.code().length * 4L);
      if (program.pool().length > 0) {
        host = staging(program.pool().length * 8);
        host.asLongBuffer().put(program.pool());
        JCudaDriver.cuMemcpyHtoD(
            poolBuffer.pointer(), Pointer.to(host), program.pool().length * 8L);
      }
    } catch (RuntimeException e) {
      owned.forEach(DeviceBuffer::close);
      if (e instanceof CudaException ce) {
        throw device.error("upload an expression program", ce);
      }
      throw e;
    }
  }

  private DeviceBuffer own(List<DeviceBuffer> owned, long bytes, String purpose) {
    DeviceBuffer b = pool.allocate(bytes, purpose);
    owned.add(b);
    return b;
  }

  /** Bytes per value each read ordinal must have (-1 where unread), from the program's loads. */
  private static int[] inputWidths(int[] code) {
    int[] widths = new int[0];
    for (int i = 0; i < code.length; i += INSN) {
      if (code[i] == LOAD) {
        int ordinal = code[i + 2];
        if (ordinal >= widths.length) {
          int old = widths.length;
          widths = Arrays.copyOf(widths, ordinal + 1);
          Arrays.fill(widths, old, widths.length, -1);
        }
        widths[ordinal] = kindWidth(code[i + 4]);
      }
    }
    return widths;
  }

  private static int kindWidth(int kind) {
    return switch (kind) {
      case K_BOOL -> 0;
      case K_BYTE -> 1;
      case K_SHORT -> 2;
      case K_INT, K_FLOAT, K_DATE -> 4;
      case K_LONG, K_DOUBLE -> 8;
      case K_DEC -> 16;
      default -> throw new IllegalArgumentException("kind " + kind);
    };
  }

  /**
   * Evaluates every output over rows {@code [0, rowCount)} of {@code inputs} on {@code stream}.
   * Without ANSI error sites the work is only queued on the stream; with them this waits for the
   * stream, to throw the first error.
   *
   * @param inputs device columns by input ordinal; ordinals the outputs do not read may be null
   * @throws TruenoException the scalar backend's ANSI error at the first failing row;
   *     MEMORY_EXHAUSTED when the pool has no room for the outputs
   */
  public Result evaluate(List<DeviceColumn> inputs, int rowCount, CUstream stream) {
    for (int ordinal = 0; ordinal < inputWidths.length; ordinal++) {
      if (inputWidths[ordinal] < 0) {
        continue;
      }
      DeviceColumn c = ordinal < inputs.size() ? inputs.get(ordinal) : null;
      if (c == null) {
        throw new TruenoException(
            ErrorCode.INTERNAL, "GPU expressions read input " + ordinal + ", which is not given");
      }
      if (c.typeWidth() != inputWidths[ordinal] || c.rowCount() < rowCount) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Device column "
                + c.name()
                + " (input "
                + ordinal
                + ") has "
                + c.rowCount()
                + " rows of width "
                + c.typeWidth()
                + "; the expressions need "
                + rowCount
                + " rows of width "
                + inputWidths[ordinal]);
      }
    }
    device.makeCurrent();
    try {
      return run(inputs, rowCount, stream);
    } catch (CudaException e) {
      throw device.error(
          "evaluate " + outputs.size() + " expression(s) over " + rowCount + " rows", e);
    }
  }

  private Result run(List<DeviceColumn> inputs, int rowCount, CUstream stream) {
    int n = outputs.size();
    long words = (rowCount + 31L) / 32;
    List<DeviceColumn> columns = new ArrayList<>();
    long[] outDesc = new long[3 * n];
    for (int o = 0; o < n; o++) {
      Output out = outputs.get(o);
      CUdeviceptr validity =
          ensure(2 * o, Math.max(8, words * 4), "validity of expression output " + out.name());
      CUdeviceptr values;
      int width;
      if (out.selection()) {
        values = validity;
        width = 0;
      } else {
        width = ExprOps.width(out.expr().type());
        long bytes = width == 0 ? words * 4 : (long) rowCount * width;
        values = ensure(2 * o + 1, Math.max(8, bytes), "values of expression output " + out.name());
      }
      outDesc[3 * o] = address(validity);
      outDesc[3 * o + 1] = out.selection() ? 0 : address(values);
      outDesc[3 * o + 2] = program.outputKinds()[o];
      columns.add(new DeviceColumn(out.name(), rowCount, width, validity, values));
    }
    Result result = new Result(rowCount, List.copyOf(columns));
    if (rowCount == 0) {
      return result;
    }
    long[] colDesc = new long[2 * inputWidths.length];
    for (int ordinal = 0; ordinal < inputWidths.length; ordinal++) {
      if (inputWidths[ordinal] >= 0) {
        colDesc[2 * ordinal] = address(inputs.get(ordinal).validity());
        colDesc[2 * ordinal + 1] = address(inputs.get(ordinal).values());
      }
    }
    CUdeviceptr colBuffer = ensure(2 * n, Math.max(8, colDesc.length * 8L), "input addresses");
    CUdeviceptr outBuffer = ensure(2 * n + 1, outDesc.length * 8L, "output addresses");
    // Pageable copies: the driver has staged the bytes when the call returns, and they land in
    // stream order, after the previous launch that read these buffers.
    copyLongs(colDesc, colBuffer, stream);
    copyLongs(outDesc, outBuffer, stream);
    if (canRaise) {
      JCudaDriver.cuMemsetD32Async(errorBuffer.pointer(), -1, 2, stream);
    }
    int blocks = (int) Math.max(1, Math.min(MAX_BLOCKS, (rowCount + THREADS - 1L) / THREADS));
    launch(blocks, colBuffer, outBuffer, rowCount, -1, stream);
    if (canRaise) {
      throwFirstError(colBuffer, outBuffer, rowCount, stream);
    }
    return result;
  }

  private void launch(
      int blocks, CUdeviceptr cols, CUdeviceptr outs, int rowCount, long onlyRow, CUstream s) {
    CUdeviceptr detail = errorBuffer.pointer().withByteOffset(8);
    Pointer args =
        Pointer.to(
            Pointer.to(codeBuffer.pointer()),
            Pointer.to(poolBuffer.pointer()),
            Pointer.to(cols),
            Pointer.to(outs),
            Pointer.to(new int[] {outputs.size()}),
            Pointer.to(new long[] {rowCount}),
            Pointer.to(new long[] {onlyRow}),
            Pointer.to(errorBuffer.pointer()),
            Pointer.to(detail));
    KernelLauncher.launch(device.function("expr_eval"), blocks, THREADS, s, args);
  }

  private void throwFirstError(CUdeviceptr cols, CUdeviceptr outs, int rowCount, CUstream s) {
    ByteBuffer host = staging(8);
    JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(host), errorBuffer.pointer(), 8, s);
    JCudaDriver.cuStreamSynchronize(s);
    long key = host.getLong(0);
    if (key == -1L) {
      return;
    }
    long row = key >>> 8;
    // Replay that row alone to learn which instruction failed and on which operands.
    launch(1, cols, outs, rowCount, row, s);
    host = staging(8 * DETAIL_LONGS);
    JCudaDriver.cuMemcpyDtoHAsync(
        Pointer.to(host), errorBuffer.pointer().withByteOffset(8), 8L * DETAIL_LONGS, s);
    JCudaDriver.cuStreamSynchronize(s);
    int site = (int) host.getLong(0);
    int code = (int) host.getLong(8);
    if (site < 0 || site >= program.sites().size()) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "expr_eval failed at row "
              + row
              + " with code "
              + (key & 0xff)
              + " but its replay reported site "
              + site
              + " (operands "
              + host.getLong(16)
              + ", "
              + host.getLong(24)
              + ")");
    }
    throw program
        .sites()
        .get(site)
        .exception(code, host.getLong(16), host.getLong(24), host.getLong(32));
  }

  /**
   * The numeric device address of {@code p} (offset included), for the address tables the kernel
   * reads: JCuda does not expose it, the driver does.
   */
  private static long address(CUdeviceptr p) {
    long[] value = new long[1];
    JCudaDriver.cuPointerGetAttribute(
        Pointer.to(value), CUpointer_attribute.CU_POINTER_ATTRIBUTE_DEVICE_POINTER, p);
    return value[0];
  }

  private void copyLongs(long[] values, CUdeviceptr target, CUstream s) {
    if (values.length == 0) {
      return;
    }
    ByteBuffer host = staging(values.length * 8);
    host.asLongBuffer().put(values);
    JCudaDriver.cuMemcpyHtoDAsync(target, Pointer.to(host), values.length * 8L, s);
  }

  private ByteBuffer staging(int bytes) {
    if (staging == null || staging.capacity() < bytes) {
      staging = ByteBuffer.allocateDirect(Math.max(bytes, 4096)).order(ByteOrder.LITTLE_ENDIAN);
    }
    ByteBuffer view = staging.duplicate().clear().slice().order(ByteOrder.LITTLE_ENDIAN);
    view.limit(bytes);
    return view;
  }

  private CUdeviceptr ensure(int slot, long bytes, String purpose) {
    while (buffers.size() <= slot) {
      buffers.add(null);
    }
    DeviceBuffer current = buffers.get(slot);
    if (current != null && current.bytes() >= bytes) {
      return current.pointer();
    }
    buffers.set(slot, null);
    if (current != null) {
      current.close();
    }
    DeviceBuffer fresh = pool.allocate(bytes, purpose);
    buffers.set(slot, fresh);
    return fresh.pointer();
  }

  /** Frees the program and every output and scratch buffer. */
  @Override
  public void close() {
    RuntimeException first = null;
    List<DeviceBuffer> all = new ArrayList<>(buffers);
    all.add(codeBuffer);
    all.add(poolBuffer);
    all.add(errorBuffer);
    buffers.clear();
    for (DeviceBuffer b : all) {
      if (b == null) {
        continue;
      }
      try {
        b.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
