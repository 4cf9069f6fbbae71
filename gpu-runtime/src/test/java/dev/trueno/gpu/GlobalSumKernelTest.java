package dev.trueno.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.gpu.device.CudaDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The lean {@code global_sum_*} kernels give the same count, wrapping sum and saturating sum of |x|
 * as {@code global_stats_*} and as the host, bit for bit, on seeded random int and bigint columns:
 * with and without nulls, all nulls, extremes that saturate the sum of |x|, 0, 1 and odd numbers of
 * rows, values starting off a 16-byte boundary, validity bitmaps off a word boundary, and in
 * several grid sizes (the launcher's, one block, a few, a whole wave).
 */
@Tag("gpu")
class GlobalSumKernelTest {
  private static final int[] ROW_COUNTS = {
    0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1000, 4097, 65_537, 1_048_579
  };

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
    release();
    JCudaDriver.cuStreamDestroy(stream);
  }

  /** Frees every device allocation made so far, once the stream's work is done. */
  private void release() {
    device.makeCurrent();
    JCudaDriver.cuStreamSynchronize(stream);
    for (CUdeviceptr p : allocated) {
      JCudaDriver.cuMemFree(p);
    }
    allocated.clear();
  }

  /** One column on the host: values (ints widened to long for int columns), validity or null. */
  private record Column(boolean ints, long[] values, boolean[] valid) {
    int width() {
      return ints ? Integer.BYTES : Long.BYTES;
    }

    /** Count, wrapping sum and saturating sum of |x| of the non-null rows. */
    long[] expected() {
      long count = 0;
      long sum = 0;
      long absSum = 0;
      for (int r = 0; r < values.length; r++) {
        if (valid == null || valid[r]) {
          count++;
          sum += values[r];
          absSum = ColumnStats.saturatingAdd(absSum, values[r] < 0 ? -values[r] : values[r]);
        }
      }
      return new long[] {count, sum, absSum};
    }
  }

  private static Column randomColumn(
      Random random, boolean ints, int rows, double nullRate, double extremeRate) {
    long[] values = new long[rows];
    boolean[] valid = nullRate > 0 ? new boolean[rows] : null;
    for (int r = 0; r < rows; r++) {
      double pick = random.nextDouble();
      if (pick < extremeRate / 2) {
        values[r] = ints ? Integer.MIN_VALUE : Long.MIN_VALUE;
      } else if (pick < extremeRate) {
        values[r] = ints ? Integer.MAX_VALUE : Long.MAX_VALUE;
      } else {
        values[r] = ints ? random.nextInt() : random.nextLong() >> random.nextInt(64);
      }
      if (valid != null) {
        valid[r] = random.nextDouble() >= nullRate;
      }
    }
    return new Column(ints, values, valid);
  }

  private CUdeviceptr allocate(long bytes) {
    CUdeviceptr p = new CUdeviceptr();
    JCudaDriver.cuMemAlloc(p, Math.max(1, bytes));
    allocated.add(p);
    return p;
  }

  /** The column's values on the device, starting {@code offset} values past an allocation. */
  private CUdeviceptr uploadValues(Column c, int offset) {
    int rows = c.values().length;
    ByteBuffer host =
        ByteBuffer.allocateDirect((offset + rows) * c.width()).order(ByteOrder.LITTLE_ENDIAN);
    host.position(offset * c.width());
    for (long v : c.values()) {
      if (c.ints()) {
        host.putInt((int) v);
      } else {
        host.putLong(v);
      }
    }
    CUdeviceptr base = allocate(host.capacity());
    if (host.capacity() > 0) {
      JCudaDriver.cuMemcpyHtoD(base, Pointer.to(host.clear()), host.capacity());
    }
    return base.withByteOffset((long) offset * c.width());
  }

  /**
   * The column's Arrow validity bitmap on the device, {@code offset} bytes past an allocation that
   * ends with the bitmap (so a read past its last byte would leave it), or a null pointer.
   */
  private CUdeviceptr uploadValidity(Column c, int offset) {
    if (c.valid() == null) {
      return new CUdeviceptr();
    }
    int bytes = (c.values().length + 7) / 8;
    byte[] host = new byte[offset + bytes];
    for (int r = 0; r < c.values().length; r++) {
      if (c.valid()[r]) {
        host[offset + r / 8] |= (byte) (1 << (r % 8));
      }
    }
    CUdeviceptr base = allocate(host.length);
    if (host.length > 0) {
      JCudaDriver.cuMemcpyHtoD(base, Pointer.to(host), host.length);
    }
    return base.withByteOffset(offset);
  }

  private long[] downloadLongs(CUdeviceptr out, int count) {
    ByteBuffer host = ByteBuffer.allocateDirect(count * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(host), out, host.capacity(), stream);
    JCudaDriver.cuStreamSynchronize(stream);
    long[] r = new long[count];
    host.asLongBuffer().get(r);
    return r;
  }

  /** Count, sum and absSum from {@code global_sum_*} with {@code blocks} blocks. */
  private long[] lean(Column c, CUdeviceptr values, CUdeviceptr validity, int blocks) {
    CUfunction function = device.function(c.ints() ? "global_sum_i32" : "global_sum_i64");
    CUdeviceptr out = allocate((long) blocks * GlobalStatsKernel.SUM_SLOTS * Long.BYTES);
    GlobalStatsKernel.launchSum(function, values, validity, c.values().length, blocks, out, stream);
    ByteBuffer host =
        ByteBuffer.allocateDirect(blocks * GlobalStatsKernel.SUM_SLOTS * Long.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
    JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(host), out, host.capacity(), stream);
    JCudaDriver.cuStreamSynchronize(stream);
    ColumnStats s = GlobalStatsKernel.combineSums(host, blocks);
    assertThat(s.minBits()).isZero();
    assertThat(s.maxBits()).isZero();
    return new long[] {s.count(), s.sum(), s.absSum()};
  }

  /** Count, sum and absSum from {@code global_stats_*} in GlobalStatsKernel's geometry. */
  private long[] full(Column c, CUdeviceptr values, CUdeviceptr validity) {
    long rows = c.values().length;
    if (rows == 0) {
      return new long[] {0, 0, 0}; // GlobalStatsKernel launches nothing for no rows
    }
    long minRowsPerBlock = GlobalStatsKernel.THREADS * 16L;
    int blocks = (int) Math.min(1024, (rows + minRowsPerBlock - 1) / minRowsPerBlock);
    long rowsPerBlock = (rows + blocks - 1) / blocks;
    CUdeviceptr out = allocate((long) blocks * GlobalStatsKernel.SLOTS * Long.BYTES);
    Pointer params =
        Pointer.to(
            Pointer.to(values),
            Pointer.to(validity),
            Pointer.to(new long[] {rows}),
            Pointer.to(new long[] {rowsPerBlock}),
            Pointer.to(out));
    JCudaDriver.cuLaunchKernel(
        device.function(c.ints() ? "global_stats_i32" : "global_stats_i64"),
        blocks,
        1,
        1,
        GlobalStatsKernel.THREADS,
        1,
        1,
        0,
        stream,
        params,
        null);
    long[] slots = downloadLongs(out, blocks * GlobalStatsKernel.SLOTS);
    long[] r = {0, 0, 0};
    for (int b = 0; b < blocks; b++) {
      int at = b * GlobalStatsKernel.SLOTS;
      r[0] += slots[at];
      r[1] += slots[at + 1];
      r[2] = ColumnStats.saturatingAdd(r[2], slots[at + 2]);
    }
    return r;
  }

  /** Lean equals full equals host for every value offset, validity offset and grid size. */
  private void assertLeanMatchesFull(Column c, String what) {
    device.makeCurrent();
    long[] expected = c.expected();
    int rows = c.values().length;
    int resident =
        GlobalStatsKernel.residentBlocks(
            device, device.function(c.ints() ? "global_sum_i32" : "global_sum_i64"));
    int launcher = GlobalStatsKernel.sumBlocks(rows, resident);
    // Offsets of the first value past a 16-byte boundary: every start a 16-byte vector can have.
    int maxOffset = 16 / c.width() - 1;
    for (int offset = 0; offset <= maxOffset; offset++) {
      for (int validityOffset : c.valid() == null ? new int[] {0} : new int[] {0, 1, 3}) {
        CUdeviceptr values = uploadValues(c, offset);
        CUdeviceptr validity = uploadValidity(c, validityOffset);
        String where =
            String.format(
                "%s: %s, %d rows, first value %d past a 16-byte boundary, validity %s",
                what,
                c.ints() ? "int" : "bigint",
                rows,
                offset,
                c.valid() == null ? "none" : validityOffset + " bytes past a word boundary");
        assertThat(full(c, values, validity))
            .as("global_stats_* against the host, %s", where)
            .containsExactly(expected);
        for (int blocks : new int[] {launcher, 1, 7, resident}) {
          assertThat(lean(c, values, validity, blocks))
              .as("global_sum_* with %d blocks against the host, %s", blocks, where)
              .containsExactly(expected);
        }
        release();
      }
    }
  }

  @Test
  void leanSumsEqualFullStatisticsOnRandomColumns() {
    for (boolean ints : new boolean[] {true, false}) {
      for (int i = 0; i < ROW_COUNTS.length; i++) {
        long seed = 1000L * i + (ints ? 1 : 0);
        Random random = new Random(seed);
        int rows = ROW_COUNTS[i];
        assertLeanMatchesFull(
            randomColumn(random, ints, rows, 0.0, 0.01), "seed " + seed + ", no nulls");
        assertLeanMatchesFull(
            randomColumn(random, ints, rows, 0.3, 0.01), "seed " + seed + ", 30% nulls");
        assertLeanMatchesFull(
            randomColumn(random, ints, rows, 1.0, 0.0), "seed " + seed + ", all nulls");
      }
      long seed = 77L + (ints ? 1 : 0);
      Random random = new Random(seed);
      int rows = 100_000 + random.nextInt(1000);
      assertLeanMatchesFull(
          randomColumn(random, ints, rows, 0.5, 0.0), "seed " + seed + ", half nulls");
    }
  }

  @Test
  void sumOfAbsoluteValuesSaturatesLikeTheFullKernel() {
    for (boolean ints : new boolean[] {true, false}) {
      long seed = 5L + (ints ? 1 : 0);
      Random random = new Random(seed);
      // Extremes in half the rows: the bigint sum of |x| saturates within a few rows, and the sum
      // wraps many times over.
      for (int rows : new int[] {3, 33, 70_001}) {
        assertLeanMatchesFull(
            randomColumn(random, ints, rows, 0.0, 0.5), "seed " + seed + ", extremes");
        assertLeanMatchesFull(
            randomColumn(random, ints, rows, 0.2, 0.5), "seed " + seed + ", extremes and nulls");
      }
      long[] minima = new long[129];
      java.util.Arrays.fill(minima, ints ? Integer.MIN_VALUE : Long.MIN_VALUE);
      assertLeanMatchesFull(new Column(ints, minima, null), "only the smallest value");
    }
  }

  @Test
  void launcherUsesOneWaveOfResidentBlocksAtMost() {
    assertThat(GlobalStatsKernel.sumBlocks(0, 1000)).isEqualTo(1);
    assertThat(GlobalStatsKernel.sumBlocks(1, 1000)).isEqualTo(1);
    assertThat(GlobalStatsKernel.sumBlocks(GlobalStatsKernel.THREADS * 16L + 1, 1000)).isEqualTo(2);
    assertThat(GlobalStatsKernel.sumBlocks(1_000_000_000L, 1000)).isEqualTo(1000);
    int resident = GlobalStatsKernel.residentBlocks(device, device.function("global_sum_i64"));
    assertThat(resident % device.multiprocessors()).isZero();
    assertThat(resident).isGreaterThanOrEqualTo(device.multiprocessors());
  }
}
