package dev.trueno.gpu.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.gpu.GpuTests;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.memory.PinnedAllocationManager;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The transfer queue's zero-copy path on a real device: batches from the pinned allocator reach the
 * device with exactly the bytes that staging gives (read back and compared), their morsels are
 * closed once their copy is complete, and failure or cancellation releases every morsel and buffer.
 * Skipped with the discovery reason where no GPU can be used; failing instead under {@code
 * -Dtrueno.requireGpu=true}.
 */
@Tag("gpu")
class ZeroCopyTransferGpuTest {
  private CudaDevice device;
  private DeviceMemoryPool pool;
  private PinnedMemoryPool pinned;
  private BufferAllocator pinnedAllocator;
  private BufferAllocator plainAllocator;
  private CUstream compute;

  @BeforeEach
  void open() {
    device = GpuTests.deviceOrSkip();
    device.makeCurrent();
    pool = DeviceMemoryPool.create(device, "zero-copy-test", 1L << 30);
    pinned = PinnedMemoryPool.create(device, "zero-copy-test", 1L << 30);
    pinnedAllocator = PinnedAllocationManager.rootAllocator(pinned, 1L << 30);
    plainAllocator = new RootAllocator(1L << 30);
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
    // Each close fails the test on a leak: a morsel not closed, a block or device buffer kept.
    if (pinnedAllocator != null) {
      pinnedAllocator.close();
      plainAllocator.close();
      pinned.close();
      pool.close();
    }
  }

  /** One transfer read back from the device. */
  private record Received(ByteBuffer bytes, List<ColumnLayout> layout, long directBytes) {}

  /** Sends {@code morsels} through a queue that knows the pinned pool and reads each one back. */
  private List<Received> sendAll(List<Morsel> morsels) throws Exception {
    List<Received> received = new ArrayList<>();
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
          int bytes = (int) ColumnLayout.totalBytes(t.layout());
          ByteBuffer back = ByteBuffer.allocateDirect(bytes);
          t.awaitOn(compute);
          JCudaDriver.cuMemcpyDtoHAsync(
              Pointer.to(back), t.columns().get(0).validity(), bytes, compute);
          JCudaDriver.cuStreamSynchronize(compute);
          received.add(new Received(back, t.layout(), t.directBytes()));
        }
      }
      producer.get(120, TimeUnit.SECONDS);
    }
    return received;
  }

  @Test
  void zeroCopyMovesExactlyTheBytesThatStagingMoves() throws Exception {
    // 70,001-row batches and ~3 MB morsels: slices start at rows that are not multiples of 8
    // and span batches; bigint and decimal slices are large enough to go direct.
    List<Received> zeroCopy = sendAll(TestBatches.of(pinnedAllocator, 600_000, 70_001, 3_000_000));
    List<Received> staged = sendAll(TestBatches.of(plainAllocator, 600_000, 70_001, 3_000_000));
    assertThat(zeroCopy).hasSameSizeAs(staged).hasSizeGreaterThan(4);
    for (int i = 0; i < zeroCopy.size(); i++) {
      assertThat(zeroCopy.get(i).layout()).isEqualTo(staged.get(i).layout());
      CopyPlanTest.assertSameData(
          zeroCopy.get(i).bytes(), staged.get(i).bytes(), staged.get(i).layout());
    }
    assertThat(zeroCopy).allSatisfy(r -> assertThat(r.directBytes()).isPositive());
    assertThat(staged).allSatisfy(r -> assertThat(r.directBytes()).isZero());
    assertThat(pinnedAllocator.getAllocatedMemory()).isZero();
    assertThat(pool.usedBytes()).isZero();
  }

  @Test
  void aMorselIsClosedOnceItsCopyIsComplete() {
    List<Morsel> morsels = TestBatches.of(pinnedAllocator, 400_000, 70_001, 3_000_000);
    try (TransferQueue queue = TransferQueue.open(device, pool, pinned, 2)) {
      for (Morsel m : morsels) {
        queue.submit(m);
        try (Transfer t = queue.take()) {
          assertThat(t.directBytes()).isPositive();
          t.awaitOnHost();
        }
      }
      // Every copy was waited for: no morsel is held, although the slots are still there.
      assertThat(pinnedAllocator.getAllocatedMemory()).isZero();
    }
  }

  @Test
  void morselsOfTransfersNeverWaitedForAreClosedWithTheQueue() {
    List<Morsel> morsels = TestBatches.of(pinnedAllocator, 400_000, 70_001, 3_000_000);
    TransferQueue queue = TransferQueue.open(device, pool, pinned, 2);
    for (Morsel m : morsels) {
      queue.submit(m);
      try (Transfer t = queue.take()) {
        t.awaitOn(compute); // the consumer's kernels would go here; the host never waits
      }
    }
    queue.close();
    assertThat(pinnedAllocator.getAllocatedMemory()).isZero();
  }

  @Test
  void cancelReleasesTheMorselsOfQueuedZeroCopyTransfers() {
    List<Morsel> morsels = TestBatches.of(pinnedAllocator, 400_000, 70_001, 3_000_000);
    TransferQueue queue = TransferQueue.open(device, pool, pinned, 2);
    queue.submit(morsels.get(0));
    queue.submit(morsels.get(1));
    morsels.subList(2, morsels.size()).forEach(Morsel::close);
    assertThat(pinnedAllocator.getAllocatedMemory()).isPositive();
    queue.cancel("Spark killed task 9");
    assertThat(pinnedAllocator.getAllocatedMemory()).isZero();
    assertThat(pool.usedBytes()).isZero();
    assertThatThrownBy(queue::take).hasMessageContaining("Spark killed task 9");
    queue.close();
  }

  @Test
  void anExhaustedDevicePoolReleasesEveryMorselAndBuffer() throws Exception {
    DeviceMemoryPool small = DeviceMemoryPool.create(device, "small", 5L << 20);
    List<Morsel> morsels =
        new ArrayList<>(TestBatches.of(pinnedAllocator, 300_000, 70_001, 2_000_000));
    // A morsel larger than what the budget has left: its slot cannot grow.
    morsels.addAll(3, TestBatches.of(pinnedAllocator, 300_000, 70_001, 8_000_000));
    TransferQueue queue = TransferQueue.open(device, small, pinned, 2);
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
    assertThatThrownBy(
            () -> {
              for (Transfer next; (next = queue.take()) != null; ) {
                try (Transfer t = next) {
                  t.awaitOn(compute);
                }
              }
            })
        .isInstanceOfSatisfying(
            TruenoException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED))
        .hasMessageContaining("GPU memory pool 'small' cannot allocate");
    assertThatThrownBy(() -> producer.get(60, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TruenoException.class);
    queue.close();
    assertThat(pinnedAllocator.getAllocatedMemory()).isZero();
    assertThat(small.usedBytes()).isZero();
    small.close();
  }
}
