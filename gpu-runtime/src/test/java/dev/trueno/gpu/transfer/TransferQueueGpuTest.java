package dev.trueno.gpu.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.core.morsel.MorselPager;
import dev.trueno.gpu.GpuTests;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.memory.HostPointer;
import dev.trueno.gpu.memory.PinnedAllocationManager;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The transfer queue on a real device: rows arrive intact and in order, the bound holds, copies
 * overlap the consumer's kernels (read from CUDA events), failures and cancellation free every
 * pinned and device buffer. Skipped with the discovery reason where no GPU can be used; failing
 * instead under {@code -Dtrueno.requireGpu=true}. Prints its measurements; the bandwidth ones as
 * lines starting with {@code BENCH }.
 */
@Tag("gpu")
class TransferQueueGpuTest {
  private CudaDevice device;
  private BufferAllocator allocator;
  private DeviceMemoryPool pool;
  private CUstream compute;

  @BeforeEach
  void open() {
    device = GpuTests.deviceOrSkip();
    device.makeCurrent();
    allocator = new RootAllocator(3L << 30);
    pool = DeviceMemoryPool.create(device, "transfer-test", 1L << 30);
    compute = new CUstream();
    JCudaDriver.cuStreamCreate(compute, CUstream_flags.CU_STREAM_NON_BLOCKING);
  }

  @AfterEach
  void close() {
    if (compute != null) {
      device.makeCurrent();
      JCudaDriver.cuStreamSynchronize(compute);
      JCudaDriver.cuStreamDestroy(compute);
    }
    if (allocator != null) {
      allocator.close(); // fails the test when a morsel was not closed
    }
    if (pool != null) {
      pool.close(); // fails the test on a device memory leak
    }
  }

  private static long firstRowOf(List<Morsel> morsels, int index) {
    long row = 0;
    for (int i = 0; i < index; i++) {
      row += morsels.get(i).rowCount();
    }
    return row;
  }

  @Test
  void rowsArriveIntactAndInOrderWithAtMostTwoInFlight() throws Exception {
    // 1000-row batches, 40,000-byte morsels: unaligned slices spanning batches.
    List<Morsel> morsels = TestMorsels.of(allocator, 400_000, 1000, 40_000);
    List<Long> firstRows = new ArrayList<>();
    for (int i = 0; i < morsels.size(); i++) {
      firstRows.add(firstRowOf(morsels, i));
    }
    AtomicInteger submitted = new AtomicInteger();
    AtomicInteger released = new AtomicInteger();
    List<Integer> seenOutstanding = new ArrayList<>();
    TransferQueue queue = TransferQueue.open(device, pool, 2);
    try {
      CompletableFuture<Void> producer =
          CompletableFuture.runAsync(
              () -> {
                device.makeCurrent();
                for (Morsel m : morsels) {
                  queue.submit(m);
                  int outstanding = submitted.incrementAndGet() - released.get();
                  synchronized (seenOutstanding) {
                    seenOutstanding.add(outstanding);
                  }
                }
                queue.finish();
              });
      int n = 0;
      for (Transfer next; (next = queue.take()) != null; n++) {
        try (Transfer t = next) {
          assertThat(t.sequence()).isEqualTo(n);
          ColumnLayout layout = t.layout().get(0);
          int bytes = (int) ColumnLayout.totalBytes(t.layout());
          ByteBuffer back = ByteBuffer.allocateDirect(bytes);
          t.awaitOn(compute);
          JCudaDriver.cuMemcpyDtoHAsync(
              Pointer.to(back), t.columns().get(0).validity(), bytes, compute);
          JCudaDriver.cuStreamSynchronize(compute);
          TestMorsels.check(back, layout, firstRows.get(n));
          released.incrementAndGet();
        }
      }
      producer.get(60, TimeUnit.SECONDS);
      assertThat(n).isEqualTo(morsels.size());
      assertThat(queue.peakOutstanding()).isLessThanOrEqualTo(2);
      assertThat(seenOutstanding).allSatisfy(o -> assertThat(o).isLessThanOrEqualTo(2));
    } finally {
      queue.close();
    }
    assertThat(queue.pinnedBytes()).isZero();
    assertThat(pool.usedBytes()).isZero();
    assertThat(pool.liveBuffers()).isZero();
  }

  @Test
  void anExhaustedPoolInTheMiddleFailsTheConsumerAndFreesEveryBuffer() throws Exception {
    DeviceMemoryPool small = DeviceMemoryPool.create(device, "small", 3L << 20);
    List<Morsel> morsels = new ArrayList<>(TestMorsels.of(allocator, 200_000, 1000, 200_000));
    // A morsel larger than what the budget has left: its slot cannot grow.
    morsels.addAll(5, TestMorsels.of(allocator, 400_000, 4000, 4L << 20));
    TransferQueue queue = TransferQueue.open(device, small, 2);
    CompletableFuture<Void> producer =
        CompletableFuture.runAsync(
            () -> {
              device.makeCurrent();
              try {
                for (Morsel m : morsels) {
                  queue.submit(m);
                }
                queue.finish();
              } finally {
                morsels.forEach(Morsel::close);
              }
            });
    List<Long> seen = new ArrayList<>();
    assertThatThrownBy(
            () -> {
              for (Transfer next; (next = queue.take()) != null; ) {
                try (Transfer t = next) {
                  t.awaitOn(compute);
                  seen.add(t.sequence());
                }
              }
            })
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("the transfer queue failed")
        .hasMessageContaining("GPU memory pool 'small' cannot allocate")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED));
    assertThatThrownBy(() -> producer.get(60, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TruenoException.class);
    queue.close();
    System.out.println("[transfer] pool exhausted after transfers " + seen);
    assertThat(queue.pinnedBytes()).isZero();
    assertThat(small.usedBytes()).isZero();
    assertThat(small.liveBuffers()).isZero();
    small.close();
  }

  @Test
  void cancelWakesABlockedProducerAndFreesEveryBuffer() throws Exception {
    List<Morsel> morsels = TestMorsels.of(allocator, 30_000, 1000, 40_000);
    TransferQueue queue = TransferQueue.open(device, pool, 2);
    queue.submit(morsels.get(0));
    queue.submit(morsels.get(1));
    assertThat(pool.usedBytes()).isPositive();
    CompletableFuture<Void> blocked =
        CompletableFuture.runAsync(
            () -> {
              device.makeCurrent();
              queue.submit(morsels.get(2));
            });
    Thread.sleep(200);
    assertThat(blocked).isNotDone();
    queue.cancel("Spark killed task 7");
    assertThatThrownBy(() -> blocked.get(60, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CancellationException.class)
        .hasMessageContaining("Spark killed task 7");
    assertThat(pool.usedBytes()).isZero();
    assertThat(queue.pinnedBytes()).isZero();
    assertThatThrownBy(queue::take).hasMessageContaining("Spark killed task 7");
    queue.close();
    morsels.forEach(Morsel::close);
  }

  /** One run's device timeline, in ms from an origin event. */
  private record Timeline(
      double[] copyStart,
      double[] copyEnd,
      double[] kernelStart,
      double[] kernelEnd,
      double wallMs) {
    double overlapMs() {
      double sum = 0;
      for (int i = 1; i < copyStart.length; i++) {
        sum +=
            Math.max(
                0,
                Math.min(copyEnd[i], kernelEnd[i - 1])
                    - Math.max(copyStart[i], kernelStart[i - 1]));
      }
      return sum;
    }

    double copyMs() {
      double sum = 0;
      for (int i = 1; i < copyStart.length; i++) {
        sum += copyEnd[i] - copyStart[i];
      }
      return sum;
    }

    double spanMs() {
      return kernelEnd[kernelEnd.length - 1] - copyStart[0];
    }
  }

  private Timeline run(int maxInFlight, List<Morsel> morsels, SpinKernel spin, long cycles)
      throws Exception {
    int n = morsels.size();
    double[] cs = new double[n];
    double[] ce = new double[n];
    double[] ks = new double[n];
    double[] ke = new double[n];
    CUevent origin = event();
    CUevent[] kStart = new CUevent[n];
    CUevent[] kEnd = new CUevent[n];
    for (int i = 0; i < n; i++) {
      kStart[i] = event();
      kEnd[i] = event();
    }
    JCudaDriver.cuEventRecord(origin, compute);
    JCudaDriver.cuEventSynchronize(origin);
    long wallStart = System.nanoTime();
    try (TransferQueue queue = TransferQueue.open(device, pool, maxInFlight)) {
      CompletableFuture<Void> producer =
          CompletableFuture.runAsync(
              () -> {
                device.makeCurrent();
                morsels.forEach(queue::submit);
                queue.finish();
              });
      for (int i = 0; i < n; i++) {
        try (Transfer t = queue.take()) {
          t.awaitOn(compute);
          JCudaDriver.cuEventRecord(kStart[i], compute);
          spin.launch(cycles, compute);
          JCudaDriver.cuEventRecord(kEnd[i], compute);
          // The slot's events are re-recorded by its next copy: read them now.
          t.awaitOnHost();
          CudaTransferEngine.CudaSlot slot = (CudaTransferEngine.CudaSlot) t.slot();
          cs[i] = slot.elapsedMillis(origin, slot.copyStarted());
          ce[i] = slot.elapsedMillis(origin, slot.copyDone());
        }
      }
      producer.get(120, TimeUnit.SECONDS);
      JCudaDriver.cuStreamSynchronize(compute);
    }
    double wallMs = (System.nanoTime() - wallStart) / 1e6;
    for (int i = 0; i < n; i++) {
      ks[i] = millis(origin, kStart[i]);
      ke[i] = millis(origin, kEnd[i]);
      JCudaDriver.cuEventDestroy(kStart[i]);
      JCudaDriver.cuEventDestroy(kEnd[i]);
    }
    JCudaDriver.cuEventDestroy(origin);
    return new Timeline(cs, ce, ks, ke, wallMs);
  }

  private static CUevent event() {
    CUevent e = new CUevent();
    JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
    return e;
  }

  private static double millis(CUevent from, CUevent to) {
    float[] ms = new float[1];
    JCudaDriver.cuEventElapsedTime(ms, from, to);
    return ms[0];
  }

  @Test
  void theCopyOfTheNextMorselOverlapsTheKernelsOnThisOne() throws Exception {
    long morselBytes = 32L << 20;
    int count = 12;
    long rows = count * (morselBytes / 9) - 1000;
    try (SpinKernel spin = new SpinKernel()) {
      // Calibrate: cycles per ms of the spin kernel, and the producer's time per morsel.
      CUevent a = event();
      CUevent b = event();
      JCudaDriver.cuEventRecord(a, compute);
      spin.launch(20_000_000, compute);
      JCudaDriver.cuEventRecord(b, compute);
      JCudaDriver.cuEventSynchronize(b);
      double cyclesPerMs = 20_000_000 / millis(a, b);
      JCudaDriver.cuEventDestroy(a);
      JCudaDriver.cuEventDestroy(b);
      List<Morsel> warm = TestMorsels.of(allocator, rows / count * 3, 1 << 16, morselBytes);
      long t0 = System.nanoTime();
      try (TransferQueue queue = TransferQueue.open(device, pool, 1)) {
        for (Morsel m : warm) {
          queue.submit(m);
          try (Transfer t = queue.take()) {
            t.awaitOnHost();
          }
        }
      }
      double perMorselMs = (System.nanoTime() - t0) / 1e6 / warm.size();
      // The consumer's kernel outlasts the producer's staging plus the copy of one morsel.
      long cycles = (long) (cyclesPerMs * Math.max(5, 2.5 * perMorselMs));

      Timeline serial = run(1, TestMorsels.of(allocator, rows, 1 << 16, morselBytes), spin, cycles);
      Timeline piped = run(2, TestMorsels.of(allocator, rows, 1 << 16, morselBytes), spin, cycles);
      System.out.printf(
          "[transfer] %d morsels of %d MiB, kernel %.2f ms (producer %.2f ms/morsel)%n"
              + "[transfer] maxInFlight=1: device span %.1f ms, wall %.1f ms, copies %.1f ms,"
              + " overlapped %.1f ms%n"
              + "[transfer] maxInFlight=2: device span %.1f ms, wall %.1f ms, copies %.1f ms,"
              + " overlapped %.1f ms (%.0f%%)%n",
          serial.copyStart().length,
          morselBytes >> 20,
          cycles / cyclesPerMs,
          perMorselMs,
          serial.spanMs(),
          serial.wallMs(),
          serial.copyMs(),
          serial.overlapMs(),
          piped.spanMs(),
          piped.wallMs(),
          piped.copyMs(),
          piped.overlapMs(),
          100 * piped.overlapMs() / piped.copyMs());
      // With one slot a copy waits for the previous kernel on the device (0.05 ms: event
      // resolution); with two, copies run under kernels (a generous half of their time).
      for (int i = 1; i < serial.copyStart().length; i++) {
        assertThat(serial.copyStart()[i]).isGreaterThanOrEqualTo(serial.kernelEnd()[i - 1] - 0.05);
      }
      assertThat(piped.overlapMs()).isGreaterThan(0.5 * piped.copyMs());
    }
    assertThat(pool.usedBytes()).isZero();
  }

  /** What one run of the queue moved and how long it took. */
  private record QueueRun(long bytes, long directBytes, double wallMs, double copyMs) {
    double gbs() {
      return bytes / wallMs / 1e6;
    }

    double dmaGbs() {
      return bytes / copyMs / 1e6;
    }
  }

  /**
   * Morsels of {@code morselBytes} of two bigint columns without nulls, cut from batches of a
   * million rows (a large scan batch, whose 8.1 MB per column Arrow rounds to 8 MiB rather than 16)
   * allocated from {@code source}.
   */
  private static List<Morsel> bigintMorsels(BufferAllocator source, int morsels, long morselBytes) {
    long rows = morsels * (morselBytes * 8 / 130); // 2 columns of 8 bytes and 1 validity bit
    List<Morsel> out = new ArrayList<>();
    try (MorselPager pager = new MorselPager(source, List.of(0, 1), morselBytes)) {
      for (long row = 0; row < rows; ) {
        int n = (int) Math.min(1_000_000, rows - row);
        BigIntVector a = new BigIntVector("a", source);
        BigIntVector b = new BigIntVector("b", source);
        try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(a, b))) {
          a.allocateNew(n);
          b.allocateNew(n);
          for (int i = 0; i < n; i++) {
            a.set(i, row + i);
            b.set(i, -(row + i));
          }
          root.setRowCount(n);
          out.addAll(pager.add(root));
        }
        row += n;
      }
      pager.flush().ifPresent(out::add);
    }
    return out;
  }

  /** Sends the morsels through a fresh queue (its opening counted, as a task would pay it). */
  private QueueRun queueRun(List<Morsel> morsels, PinnedMemoryPool pinned) throws Exception {
    long total = 0;
    long direct = 0;
    double copyMs = 0;
    long t0 = System.nanoTime();
    try (TransferQueue queue = TransferQueue.open(device, pool, pinned, 2)) {
      CompletableFuture<Void> producer =
          CompletableFuture.runAsync(
              () -> {
                device.makeCurrent();
                morsels.forEach(queue::submit);
                queue.finish();
              });
      for (Transfer next; (next = queue.take()) != null; ) {
        try (Transfer t = next) {
          copyMs += t.copyMillis(); // waits for the copy: the end-to-end time includes it
          total += ColumnLayout.totalBytes(t.layout());
          direct += t.directBytes();
        }
      }
      producer.get(120, TimeUnit.SECONDS);
    }
    return new QueueRun(total, direct, (System.nanoTime() - t0) / 1e6, copyMs);
  }

  @Test
  void printsPinnedPageableAndQueueBandwidth() throws Exception {
    long morselBytes = 64L << 20;
    int morsels = 8;
    long bytes = morselBytes * morsels;
    try (PinnedMemoryPool pinned = PinnedMemoryPool.create(device, "bandwidth", 2L << 30);
        BufferAllocator pinnedAllocator = PinnedAllocationManager.rootAllocator(pinned, 2L << 30);
        DeviceBuffer target = pool.allocate(morselBytes, "bandwidth target")) {
      Pointer plainPinned = new Pointer();
      JCudaDriver.cuMemAllocHost(plainPinned, morselBytes);
      ByteBuffer pageable = ByteBuffer.allocateDirect((int) morselBytes);
      try {
        // The same bytes each way: 8 copies of 64 MiB.
        double pinnedGbs = bandwidth(target, plainPinned, morselBytes, morsels);
        double pageableGbs = bandwidth(target, Pointer.to(pageable), morselBytes, morsels);
        // Warm-up (JIT, driver): a short run of each kind, then the measured ones.
        queueRun(bigintMorsels(pinnedAllocator, 2, morselBytes), pinned);
        queueRun(bigintMorsels(allocator, 2, morselBytes), pinned);
        QueueRun zeroCopy = queueRun(bigintMorsels(pinnedAllocator, morsels, morselBytes), pinned);
        QueueRun staging = queueRun(bigintMorsels(allocator, morsels, morselBytes), pinned);
        System.out.printf(
            "BENCH h2d_pinned bytes=%d gbps=%.1f%n"
                + "BENCH h2d_pageable bytes=%d gbps=%.1f ratio_to_pinned=%.2f%n",
            bytes, pinnedGbs, bytes, pageableGbs, pageableGbs / pinnedGbs);
        for (var run :
            List.of(Map.entry("queue_zero_copy", zeroCopy), Map.entry("queue_staging", staging))) {
          QueueRun r = run.getValue();
          System.out.printf(
              "BENCH %s bytes=%d gbps=%.1f ratio_to_pinned=%.2f dma_gbps=%.1f"
                  + " direct_fraction=%.3f%n",
              run.getKey(),
              r.bytes(),
              r.gbs(),
              r.gbs() / pinnedGbs,
              r.dmaGbs(),
              (double) r.directBytes() / r.bytes());
        }
        assertThat(zeroCopy.directBytes()).isPositive();
        assertThat(staging.directBytes()).isZero();
        assertThat(pinnedAllocator.getAllocatedMemory()).isZero();
      } finally {
        JCudaDriver.cuMemFreeHost(plainPinned);
      }
    }
  }

  /**
   * Times {@code morsels} through {@code queue}, which is already open and warmed up: a producer
   * thread submits them all while this thread takes each, makes a stream wait for its copy and
   * closes it, as a consumer launching kernels would. Ends when the last copy is done.
   */
  private QueueRun steadyRun(TransferQueue queue, List<Morsel> morsels) throws Exception {
    long total = 0;
    long direct = 0;
    long t0 = System.nanoTime();
    CompletableFuture<Void> producer =
        CompletableFuture.runAsync(
            () -> {
              device.makeCurrent();
              morsels.forEach(queue::submit);
            });
    for (int i = 0; i < morsels.size(); i++) {
      try (Transfer t = queue.take()) {
        t.awaitOn(compute);
        total += ColumnLayout.totalBytes(t.layout());
        direct += t.directBytes();
      }
    }
    JCudaDriver.cuStreamSynchronize(compute); // the last copy is done
    double wallMs = (System.nanoTime() - t0) / 1e6;
    producer.get(120, TimeUnit.SECONDS);
    return new QueueRun(total, direct, wallMs, Double.NaN);
  }

  /**
   * Opens a queue once and warms it with {@code warm}: the first two are submitted before either is
   * taken, so that both slots are created and grown to a full morsel before the timed run.
   */
  private TransferQueue warmQueue(PinnedMemoryPool pinned, List<Morsel> warm) {
    TransferQueue queue = TransferQueue.open(device, pool, pinned, 2);
    try {
      for (int i = 0; i < warm.size(); i += 2) {
        int batch = Math.min(2, warm.size() - i);
        for (int j = 0; j < batch; j++) {
          queue.submit(warm.get(i + j));
        }
        for (int j = 0; j < batch; j++) {
          try (Transfer t = queue.take()) {
            t.awaitOn(compute);
          }
        }
      }
      JCudaDriver.cuStreamSynchronize(compute);
      return queue;
    } catch (RuntimeException e) {
      try {
        queue.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Best of {@code reps} times (ms) of {@link HostStaging} writing {@code morsel} into {@code
   * bytes} of pinned memory at {@code staging}: the producer's host work per staged morsel.
   */
  private static double stagingMillis(Morsel morsel, long staging, long bytes, int reps) {
    List<ColumnLayout> layout = ColumnLayout.of(morsel.slices());
    CopyPlan plan = CopyPlan.of(morsel.slices(), layout, null);
    double best = Double.MAX_VALUE;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      HostStaging.write(morsel.slices(), layout, plan, staging, bytes);
      best = Math.min(best, (System.nanoTime() - t0) / 1e6);
    }
    return best;
  }

  @Test
  void printsSteadyStateQueueBandwidth() throws Exception {
    long morselBytes = 64L << 20;
    int morsels = 16;
    try (PinnedMemoryPool pinned = PinnedMemoryPool.create(device, "steady", 3L << 30);
        BufferAllocator pinnedAllocator = PinnedAllocationManager.rootAllocator(pinned, 3L << 30);
        DeviceBuffer target = pool.allocate(morselBytes, "bandwidth target")) {
      Pointer plainPinned = new Pointer();
      JCudaDriver.cuMemAllocHost(plainPinned, morselBytes);
      double pinnedGbs;
      try {
        pinnedGbs = bandwidth(target, plainPinned, morselBytes, 8);
      } finally {
        JCudaDriver.cuMemFreeHost(plainPinned);
      }

      // The producer's host work alone: staging one ordinary (pageable, written) morsel into
      // pinned memory, and what pinning a staging buffer costs when a queue opens.
      List<Morsel> samples = bigintMorsels(allocator, 1, morselBytes);
      Morsel sample = samples.get(0);
      List<ColumnLayout> sampleLayout = ColumnLayout.of(sample.slices());
      long sampleBytes = ColumnLayout.totalBytes(sampleLayout);
      double stagingMs;
      double pinMs;
      try {
        long p0 = System.nanoTime();
        HostPointer staging = new HostPointer();
        JCudaDriver.cuMemAllocHost(staging, sampleBytes);
        pinMs = (System.nanoTime() - p0) / 1e6;
        try {
          stagingMs = stagingMillis(sample, staging.address(), sampleBytes, 5);
        } finally {
          long f0 = System.nanoTime();
          JCudaDriver.cuMemFreeHost(staging);
          pinMs += (System.nanoTime() - f0) / 1e6;
        }
      } finally {
        samples.forEach(Morsel::close);
      }

      QueueRun zeroCopy;
      try (TransferQueue queue =
          warmQueue(pinned, bigintMorsels(pinnedAllocator, 2, morselBytes))) {
        zeroCopy = steadyRun(queue, bigintMorsels(pinnedAllocator, morsels, morselBytes));
        queue.finish();
        assertThat(queue.take()).isNull();
      }
      QueueRun staged;
      try (TransferQueue queue = warmQueue(pinned, bigintMorsels(allocator, 2, morselBytes))) {
        staged = steadyRun(queue, bigintMorsels(allocator, morsels, morselBytes));
        queue.finish();
        assertThat(queue.take()).isNull();
      }
      System.out.printf(
          "BENCH queue_steady_zero_copy bytes=%d gbps=%.1f ratio_to_pinned=%.2f"
              + " direct_fraction=%.3f%n"
              + "BENCH queue_steady_staging bytes=%d gbps=%.1f ratio_to_pinned=%.2f%n"
              + "BENCH host_staging bytes=%d gbps=%.1f ms=%.2f pin_and_free_ms=%.1f%n",
          zeroCopy.bytes(),
          zeroCopy.gbs(),
          zeroCopy.gbs() / pinnedGbs,
          (double) zeroCopy.directBytes() / zeroCopy.bytes(),
          staged.bytes(),
          staged.gbs(),
          staged.gbs() / pinnedGbs,
          sampleBytes,
          sampleBytes / stagingMs / 1e6,
          stagingMs,
          pinMs);
      assertThat(zeroCopy.directBytes()).isPositive();
      assertThat(staged.directBytes()).isZero();
    }
    assertThat(pool.usedBytes()).isZero();
  }

  private double bandwidth(DeviceBuffer target, Pointer source, long bytes, int reps) {
    CUevent a = event();
    CUevent b = event();
    JCudaDriver.cuMemcpyHtoDAsync(target.pointer(), source, bytes, compute); // warm-up
    JCudaDriver.cuEventRecord(a, compute);
    for (int i = 0; i < reps; i++) {
      JCudaDriver.cuMemcpyHtoDAsync(target.pointer(), source, bytes, compute);
    }
    JCudaDriver.cuEventRecord(b, compute);
    JCudaDriver.cuEventSynchronize(b);
    double ms = millis(a, b);
    JCudaDriver.cuEventDestroy(a);
    JCudaDriver.cuEventDestroy(b);
    return bytes * (double) reps / ms / 1e6;
  }
}
