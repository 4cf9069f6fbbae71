package dev.trueno.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.gpu.device.CudaDevice;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How close {@code global_stats_i64} (SUM and the other statistics of one bigint column) and the
 * lean {@code global_sum_i64} (count, sum and sum of |x| only, what SUM needs) come to the device's
 * own copy bandwidth when the column already lies in device memory: a billion values (8 GB), no
 * transfer from the host. Prints lines starting with {@code BENCH }; asserts only that the
 * statistics are right, never a timing.
 *
 * <p>The values are written with {@code cuMemsetD32}: chunk {@code k} of {@value #CHUNK_ROWS} rows
 * holds {@code (k + 1) * (2^32 + 1)} in every row, so the expected count, wrapping sum, min and max
 * (and their rows) are known without a host copy of the column, and a block that skipped or
 * repeated a range would change the sum.
 */
@Tag("gpu")
class DeviceResidentSumBenchmarkTest {
  private static final long ROWS = 1_000_000_000L;
  private static final long CHUNK_ROWS = 100_000_000L;
  private static final long VALUE_BYTES = ROWS * Long.BYTES;
  private static final int REPS = 5;

  private CudaDevice device;
  private CUstream stream;
  private final List<CUdeviceptr> allocated = new ArrayList<>();

  @BeforeEach
  void open() {
    device = GpuTests.deviceOrSkip();
    device.makeCurrent();
    stream = new CUstream();
    JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
  }

  @AfterEach
  void close() {
    if (stream == null) {
      return;
    }
    device.makeCurrent();
    JCudaDriver.cuStreamSynchronize(stream);
    for (CUdeviceptr p : allocated) {
      JCudaDriver.cuMemFree(p);
    }
    allocated.clear();
    JCudaDriver.cuStreamDestroy(stream);
  }

  /** The value in every row of chunk {@code k}: the 32-bit pattern {@code k + 1} in both halves. */
  private static long chunkValue(long k) {
    return ((k + 1) << 32) | (k + 1);
  }

  /** Count, wrapping sum, min, max, row of min and row of max of the first {@code rows} rows. */
  private static long[] expected(long rows) {
    long sum = 0;
    for (long k = 0; k * CHUNK_ROWS < rows; k++) {
      sum += Math.min(CHUNK_ROWS, rows - k * CHUNK_ROWS) * chunkValue(k); // wraps as the kernel
    }
    long lastChunk = (rows - 1) / CHUNK_ROWS;
    // Values grow with the chunk: the min is row 0, the max the first row of the last chunk.
    return new long[] {rows, sum, chunkValue(0), chunkValue(lastChunk), 0, lastChunk * CHUNK_ROWS};
  }

  /** Count, wrapping sum and saturating sum of |x| of the first {@code rows} rows. */
  private static long[] expectedSums(long rows) {
    BigInteger total = BigInteger.ZERO;
    for (long k = 0; k * CHUNK_ROWS < rows; k++) {
      long chunkRows = Math.min(CHUNK_ROWS, rows - k * CHUNK_ROWS);
      total = total.add(BigInteger.valueOf(chunkRows).multiply(BigInteger.valueOf(chunkValue(k))));
    }
    // Every value is positive, so the sum of |x| is the exact sum, saturating at 2^64-1.
    long absSum = total.bitLength() > 64 ? -1L : total.longValue();
    return new long[] {rows, total.longValue(), absSum};
  }

  private CUdeviceptr allocate(long bytes) {
    CUdeviceptr p = new CUdeviceptr();
    JCudaDriver.cuMemAlloc(p, bytes);
    allocated.add(p);
    return p;
  }

  private static CUevent event() {
    CUevent e = new CUevent();
    JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
    return e;
  }

  /**
   * The best of {@value #REPS} timings (after one warm-up) of {@code work} on the stream, in ms.
   */
  private double bestMillis(Runnable work) {
    CUevent start = event();
    CUevent end = event();
    try {
      work.run(); // warm-up
      JCudaDriver.cuStreamSynchronize(stream);
      double best = Double.MAX_VALUE;
      for (int i = 0; i < REPS; i++) {
        JCudaDriver.cuEventRecord(start, stream);
        work.run();
        JCudaDriver.cuEventRecord(end, stream);
        JCudaDriver.cuEventSynchronize(end);
        float[] ms = new float[1];
        JCudaDriver.cuEventElapsedTime(ms, start, end);
        best = Math.min(best, ms[0]);
      }
      return best;
    } finally {
      JCudaDriver.cuEventDestroy(start);
      JCudaDriver.cuEventDestroy(end);
    }
  }

  /** One launch geometry of global_stats_i64 and its best time. */
  private record Geometry(String name, int blocks, long rowsPerBlock) {}

  /** What GlobalStatsKernel.run chooses for {@code rows} rows (its private constants, copied). */
  private static Geometry globalStatsKernelGeometry(long rows) {
    long minRowsPerBlock = GlobalStatsKernel.THREADS * 16L;
    int blocks = (int) Math.min(1024, (rows + minRowsPerBlock - 1) / minRowsPerBlock);
    return new Geometry("GlobalStatsKernel", blocks, (rows + blocks - 1) / blocks);
  }

  private void launch(
      CUfunction function, CUdeviceptr values, long rows, Geometry g, CUdeviceptr out) {
    Pointer params =
        Pointer.to(
            Pointer.to(values),
            Pointer.to(new CUdeviceptr()), // NULL validity: no nulls
            Pointer.to(new long[] {rows}),
            Pointer.to(new long[] {g.rowsPerBlock()}),
            Pointer.to(out));
    JCudaDriver.cuLaunchKernel(
        function, g.blocks(), 1, 1, GlobalStatsKernel.THREADS, 1, 1, 0, stream, params, null);
  }

  /**
   * Combines the block results of the last launch in block order, as GlobalStatsKernel does: count,
   * wrapping sum, min, max, row of min, row of max.
   */
  private long[] combine(CUdeviceptr out, int blocks) {
    int slots = GlobalStatsKernel.SLOTS;
    ByteBuffer host =
        ByteBuffer.allocateDirect(blocks * slots * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(host), out, host.capacity(), stream);
    JCudaDriver.cuStreamSynchronize(stream);
    long[] r = {0, 0, Long.MAX_VALUE, Long.MIN_VALUE, -1, -1};
    for (int b = 0; b < blocks; b++) {
      int at = b * slots * Long.BYTES;
      long count = host.getLong(at);
      if (count == 0) {
        continue; // a block past the end, or one with only nulls: its other slots mean nothing
      }
      r[0] += count;
      r[1] += host.getLong(at + 8);
      long min = host.getLong(at + 24);
      long max = host.getLong(at + 32);
      // Later blocks hold later rows: only a strictly better value replaces the first one.
      if (min < r[2]) {
        r[2] = min;
        r[4] = host.getLong(at + 40);
      }
      if (max > r[3]) {
        r[3] = max;
        r[5] = host.getLong(at + 48);
      }
    }
    return r;
  }

  /** Count, sum and sum of |x| of the last global_sum_* launch, as GlobalStatsKernel combines. */
  private long[] combineSums(CUdeviceptr out, int blocks) {
    ByteBuffer host =
        ByteBuffer.allocateDirect(blocks * GlobalStatsKernel.SUM_SLOTS * Long.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
    JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(host), out, host.capacity(), stream);
    JCudaDriver.cuStreamSynchronize(stream);
    ColumnStats s = GlobalStatsKernel.combineSums(host, blocks);
    return new long[] {s.count(), s.sum(), s.absSum()};
  }

  @Test
  void printsDeviceResidentSumAgainstCopyBandwidth() {
    long[] memory = device.memoryInfo();
    long margin = 1L << 30;
    // The copy's target: the whole column where it fits, else its first half (4 GB each way).
    long copyBytes = memory[0] >= 2 * VALUE_BYTES + margin ? VALUE_BYTES : VALUE_BYTES / 2 / 8 * 8;
    Assumptions.assumeTrue(
        memory[0] >= VALUE_BYTES + copyBytes + margin,
        "needs " + (VALUE_BYTES + copyBytes + margin) + " bytes of free device memory");
    int sms = device.multiprocessors();
    CUfunction function = device.function("global_stats_i64");
    int[] registers = new int[1];
    JCudaDriver.cuFuncGetAttribute(
        registers, CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, function);
    int[] residentPerSm = new int[1];
    JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(
        residentPerSm, function, GlobalStatsKernel.THREADS, 0);
    int resident = residentPerSm[0] * sms;

    List<Geometry> geometries = new ArrayList<>();
    geometries.add(globalStatsKernelGeometry(ROWS));
    // Whole waves of resident blocks, so that no SM idles through a partial last wave.
    for (int waves : new int[] {1, 2, 4, 8, 16}) {
      int blocks = resident * waves;
      geometries.add(new Geometry(waves + "_waves", blocks, (ROWS + blocks - 1) / blocks));
    }
    int maxBlocks = geometries.stream().mapToInt(Geometry::blocks).max().orElseThrow();

    CUdeviceptr values = allocate(VALUE_BYTES);
    CUdeviceptr copy = allocate(copyBytes);
    CUdeviceptr out = allocate((long) maxBlocks * GlobalStatsKernel.SLOTS * Long.BYTES);
    for (long k = 0; k * CHUNK_ROWS < ROWS; k++) {
      long rows = Math.min(CHUNK_ROWS, ROWS - k * CHUNK_ROWS);
      JCudaDriver.cuMemsetD32Async(
          values.withByteOffset(k * CHUNK_ROWS * Long.BYTES), (int) (k + 1), rows * 2, stream);
    }
    JCudaDriver.cuStreamSynchronize(stream);

    // (a) The device's copy bandwidth: the same bytes read and as many written.
    double copyMs =
        bestMillis(() -> JCudaDriver.cuMemcpyDtoDAsync(copy, values, copyBytes, stream));
    double copyGbps = 2.0 * copyBytes / copyMs / 1e6; // read + written
    double copyReadGbps = copyBytes / copyMs / 1e6;
    long copiedRows = copyBytes / Long.BYTES;
    Geometry kernelGeometry = geometries.get(0);
    launch(function, copy, copiedRows, kernelGeometry, out);
    assertThat(combine(out, kernelGeometry.blocks()))
        .as("statistics of the copied column")
        .containsExactly(expected(copiedRows));

    // (b) The statistics kernel over the column, in each geometry.
    long[] want = expected(ROWS);
    System.out.printf(
        "[device_sum] %s: %d SMs, global_stats_i64 uses %d registers/thread, %d resident blocks"
            + " of %d threads per SM%n",
        device.name(), sms, registers[0], residentPerSm[0], GlobalStatsKernel.THREADS);
    Geometry best = null;
    double bestMs = Double.MAX_VALUE;
    double kernelMs = 0;
    for (Geometry g : geometries) {
      double ms = bestMillis(() -> launch(function, values, ROWS, g, out));
      assertThat(combine(out, g.blocks()))
          .as("count, sum, min, max, min row, max row with %s", g)
          .containsExactly(want);
      System.out.printf(
          "[device_sum] %s: %d blocks x %d rows: %.3f ms, %.1f GB/s%n",
          g.name(), g.blocks(), g.rowsPerBlock(), ms, VALUE_BYTES / ms / 1e6);
      if (g == kernelGeometry) {
        kernelMs = ms;
      }
      if (ms < bestMs) {
        bestMs = ms;
        best = g;
      }
    }
    double gbps = VALUE_BYTES / kernelMs / 1e6;
    double bestGbps = VALUE_BYTES / bestMs / 1e6;
    System.out.printf(
        "BENCH device_sum rows=%d gbps=%.1f copy_gbps=%.1f ratio=%.2f copy_read_gbps=%.1f"
            + " copy_bytes=%d blocks=%d rows_per_block=%d%n",
        ROWS,
        gbps,
        copyGbps,
        gbps / copyGbps,
        copyReadGbps,
        copyBytes,
        kernelGeometry.blocks(),
        kernelGeometry.rowsPerBlock());
    System.out.printf(
        "BENCH device_sum_best_geometry rows=%d gbps=%.1f copy_gbps=%.1f ratio=%.2f"
            + " geometry=%s blocks=%d rows_per_block=%d%n",
        ROWS,
        bestGbps,
        copyGbps,
        bestGbps / copyGbps,
        best.name(),
        best.blocks(),
        best.rowsPerBlock());

    // (c) The lean global_sum_i64 as GlobalStatsKernel launches it for a bigint column that no MIN
    // or MAX reads (one wave of resident blocks, no validity: no nulls), then in 2 and 4 waves.
    CUfunction lean = device.function("global_sum_i64");
    JCudaDriver.cuFuncGetAttribute(
        registers, CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, lean);
    int leanResident = GlobalStatsKernel.residentBlocks(device, lean);
    int leanBlocks = GlobalStatsKernel.sumBlocks(ROWS, leanResident);
    CUdeviceptr leanOut =
        allocate((long) leanResident * 4 * GlobalStatsKernel.SUM_SLOTS * Long.BYTES);
    long[] wantSums = expectedSums(ROWS);
    System.out.printf(
        "[device_sum] global_sum_i64 uses %d registers/thread, %d resident blocks of %d threads"
            + " per SM%n",
        registers[0], leanResident / sms, GlobalStatsKernel.THREADS);
    double leanMs = 0;
    for (int blocks : new int[] {leanBlocks, 2 * leanResident, 4 * leanResident}) {
      double ms =
          bestMillis(
              () ->
                  GlobalStatsKernel.launchSum(
                      lean, values, new CUdeviceptr(), ROWS, blocks, leanOut, stream));
      assertThat(combineSums(leanOut, blocks))
          .as("count, sum, sum of |x| of global_sum_i64 with %d blocks", blocks)
          .containsExactly(wantSums);
      System.out.printf(
          "[device_sum] global_sum_i64, %d blocks: %.3f ms, %.1f GB/s%n",
          blocks, ms, VALUE_BYTES / ms / 1e6);
      if (blocks == leanBlocks) {
        leanMs = ms;
      }
    }
    double leanGbps = VALUE_BYTES / leanMs / 1e6;
    System.out.printf(
        "BENCH device_sum_lean rows=%d gbps=%.1f copy_gbps=%.1f ratio=%.2f blocks=%d"
            + " registers=%d%n",
        ROWS, leanGbps, copyGbps, leanGbps / copyGbps, leanBlocks, registers[0]);
  }
}
