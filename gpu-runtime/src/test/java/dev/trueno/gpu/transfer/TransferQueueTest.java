package dev.trueno.gpu.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queue's bounding, ordering, failure and cancellation logic over a fake engine that stages
 * into heap memory, so that it runs without a GPU. The allocator's close in {@link #close()} checks
 * that every morsel was closed.
 */
class TransferQueueTest {
  /**
   * Stages into direct byte buffers; fails the n-th load when told to. With {@code holdMorsels} a
   * slot keeps its morsel until it is reused or closed, as the CUDA slot does with a morsel whose
   * buffers a zero-copy transfer reads.
   */
  static final class FakeEngine implements TransferQueue.Engine {
    final AtomicInteger liveSlots = new AtomicInteger();
    final AtomicInteger loads = new AtomicInteger();
    volatile int failAtLoad = -1;
    volatile boolean holdMorsels;
    volatile boolean closed;

    @Override
    public TransferQueue.Slot newSlot(int index) {
      liveSlots.incrementAndGet();
      return new FakeSlot();
    }

    @Override
    public long pinnedBytes() {
      return 0;
    }

    @Override
    public void close() {
      closed = true;
    }

    final class FakeSlot implements TransferQueue.Slot {
      ByteBuffer staged;
      Morsel held;
      boolean slotClosed;

      @Override
      public long load(Morsel morsel, List<ColumnLayout> layout) {
        if (held != null) {
          held.close(); // the previous "copy" is done once the slot is reused
          held = null;
        }
        if (loads.getAndIncrement() == failAtLoad) {
          throw new TruenoException(
              ErrorCode.MEMORY_EXHAUSTED, "GPU memory pool 'fake' cannot allocate (injected)");
        }
        staged = ByteBuffer.allocateDirect((int) ColumnLayout.totalBytes(layout));
        HostStaging.write(morsel.slices(), layout, staged);
        if (holdMorsels) {
          held = morsel;
        } else {
          morsel.close();
        }
        return 0;
      }

      @Override
      public CUdeviceptr devicePointer() {
        return new CUdeviceptr();
      }

      @Override
      public void awaitOn(CUstream stream) {}

      @Override
      public void awaitOnHost() {}

      @Override
      public float copyMillis() {
        return 0;
      }

      @Override
      public void released(CUstream stream) {}

      @Override
      public void close() {
        assertThat(slotClosed).as("slot closed twice").isFalse();
        slotClosed = true;
        if (held != null) {
          held.close();
          held = null;
        }
        liveSlots.decrementAndGet();
      }
    }
  }

  private BufferAllocator allocator;
  private final FakeEngine engine = new FakeEngine();

  @BeforeEach
  void open() {
    allocator = new RootAllocator(256L << 20);
  }

  @AfterEach
  void close() {
    allocator.close(); // fails the test when a morsel was not closed
  }

  private List<Morsel> morsels(long rows) {
    // 1000-row batches and 20,000-byte morsels: slices start at unaligned rows inside batches.
    return TestMorsels.of(allocator, rows, 1000, 20_000);
  }

  @Test
  void transfersComeOutInSubmissionOrderAndNeverMoreThanMaxInFlight() throws Exception {
    List<Morsel> morsels = morsels(200_000);
    assertThat(morsels).hasSizeGreaterThan(50);
    List<Long> firstRows = new ArrayList<>();
    long row = 0;
    for (Morsel m : morsels) {
      firstRows.add(row);
      row += m.rowCount();
    }
    AtomicInteger submitted = new AtomicInteger();
    AtomicInteger closedByConsumer = new AtomicInteger();
    List<Integer> outstandingSeen = Collections.synchronizedList(new ArrayList<>());
    try (TransferQueue queue = new TransferQueue(engine, 2)) {
      CompletableFuture<Void> producer =
          CompletableFuture.runAsync(
              () -> {
                for (Morsel m : morsels) {
                  queue.submit(m);
                  submitted.incrementAndGet();
                  outstandingSeen.add(submitted.get() - closedByConsumer.get());
                }
                queue.finish();
              });
      int n = 0;
      for (Transfer next; (next = queue.take()) != null; n++) {
        try (Transfer t = next) {
          assertThat(t.sequence()).isEqualTo(n);
          assertThat(t.layout()).hasSize(1);
          TestMorsels.check(
              ((FakeEngine.FakeSlot) t.slot()).staged, t.layout().get(0), firstRows.get(n));
          if (n % 3 == 0) {
            Thread.sleep(1); // a slow consumer: the producer must wait, not run ahead
          }
          // Counted just before the close that lets the producer go on.
          closedByConsumer.incrementAndGet();
        }
      }
      producer.get(30, TimeUnit.SECONDS);
      assertThat(n).isEqualTo(morsels.size());
      assertThat(queue.peakOutstanding()).isEqualTo(2);
      assertThat(outstandingSeen).allSatisfy(o -> assertThat(o).isLessThanOrEqualTo(2));
      assertThat(queue.outstanding()).isZero();
    }
    assertThat(engine.liveSlots).hasValue(0);
    assertThat(engine.closed).isTrue();
  }

  @Test
  void aFailureInTheMiddleReachesTheConsumerAndFreesEverySlot() throws Exception {
    List<Morsel> morsels = morsels(100_000);
    engine.failAtLoad = 5;
    TransferQueue queue = new TransferQueue(engine, 2);
    CompletableFuture<Void> producer =
        CompletableFuture.runAsync(
            () -> {
              try {
                for (Morsel m : morsels) {
                  queue.submit(m);
                }
              } finally {
                // The producer closes the morsels it did not get to submit.
                morsels.forEach(Morsel::close);
              }
            });
    List<Long> seen = new ArrayList<>();
    assertThatThrownBy(
            () -> {
              for (Transfer next; (next = queue.take()) != null; ) {
                try (Transfer t = next) {
                  seen.add(t.sequence());
                }
              }
            })
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("Cannot take a transfer: the transfer queue failed")
        .hasMessageContaining("cannot allocate (injected)")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED));
    assertThatThrownBy(() -> producer.get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage(
            "[MEMORY_EXHAUSTED] GPU memory pool 'fake' cannot allocate (injected)");
    assertThat(seen).isEqualTo(seen.stream().sorted().toList()).hasSizeLessThanOrEqualTo(5);
    queue.close();
    assertThat(engine.liveSlots).hasValue(0);
  }

  @Test
  void cancelWakesABlockedProducerAndFreesEverySlot() throws Exception {
    List<Morsel> morsels = morsels(30_000);
    TransferQueue queue = new TransferQueue(engine, 2);
    queue.submit(morsels.get(0));
    queue.submit(morsels.get(1));
    CompletableFuture<Void> blocked =
        CompletableFuture.runAsync(() -> queue.submit(morsels.get(2)));
    Thread.sleep(100);
    assertThat(blocked).isNotDone(); // back-pressure: two transfers are outstanding
    queue.cancel("Spark killed task 7");
    assertThatThrownBy(() -> blocked.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CancellationException.class)
        .hasMessageContaining(
            "Cannot submit a morsel: Transfer queue cancelled: Spark killed task 7");
    assertThat(engine.liveSlots).hasValue(0); // the two queued transfers were freed at once
    assertThatThrownBy(queue::take)
        .isInstanceOf(CancellationException.class)
        .hasMessageContaining("Spark killed task 7");
    queue.close();
    morsels.forEach(Morsel::close);
    assertThat(engine.liveSlots).hasValue(0);
  }

  @Test
  void interruptingABlockedConsumerCancelsTheQueue() throws Exception {
    List<Morsel> morsels = morsels(10_000);
    TransferQueue queue = new TransferQueue(engine, 2);
    Thread consumer = new Thread(() -> queue.take(), "consumer");
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    consumer.setUncaughtExceptionHandler((t, e) -> thrown.complete(e));
    consumer.start();
    Thread.sleep(100);
    consumer.interrupt();
    assertThat(thrown.get(30, TimeUnit.SECONDS))
        .isInstanceOf(CancellationException.class)
        .hasMessageContaining("the thread trying to take a transfer was interrupted");
    assertThatThrownBy(() -> queue.submit(morsels.get(0)))
        .isInstanceOf(CancellationException.class)
        .hasMessageContaining("interrupted");
    queue.close();
    morsels.forEach(Morsel::close);
    assertThat(engine.liveSlots).hasValue(0);
  }

  @Test
  void closeFreesATransferTheConsumerKeptAndReportsIt() {
    List<Morsel> morsels = morsels(10_000);
    TransferQueue queue = new TransferQueue(engine, 2);
    queue.submit(morsels.get(0));
    Transfer kept = queue.take();
    assertThatThrownBy(queue::close)
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("still held 1 transfer(s) it had not closed");
    kept.close(); // harmless after the queue freed it
    morsels.forEach(Morsel::close);
    assertThat(engine.liveSlots).hasValue(0);
  }

  @Test
  void morselsKeptByTheirSlotsAreClosedWhenTheSlotIsReusedOrTheQueueCloses() throws Exception {
    engine.holdMorsels = true; // as zero-copy transfers keep them until their copy is complete
    List<Morsel> morsels = morsels(100_000);
    try (TransferQueue queue = new TransferQueue(engine, 2)) {
      CompletableFuture<Void> producer =
          CompletableFuture.runAsync(
              () -> {
                morsels.forEach(queue::submit);
                queue.finish();
              });
      for (Transfer next; (next = queue.take()) != null; ) {
        next.close();
      }
      producer.get(30, TimeUnit.SECONDS);
      assertThat(allocator.getAllocatedMemory()).as("the last two morsels").isPositive();
    }
    assertThat(allocator.getAllocatedMemory()).isZero();
  }

  @Test
  void cancelClosesTheMorselsKeptByQueuedTransfers() {
    engine.holdMorsels = true;
    List<Morsel> morsels = morsels(30_000);
    TransferQueue queue = new TransferQueue(engine, 2);
    queue.submit(morsels.get(0));
    queue.submit(morsels.get(1));
    morsels.subList(2, morsels.size()).forEach(Morsel::close);
    queue.cancel("Spark killed task 8");
    assertThat(allocator.getAllocatedMemory()).isZero();
    queue.close();
  }

  @Test
  void aQueueWithoutTransfersInFlightIsAConfigurationError() {
    assertThatThrownBy(() -> new TransferQueue(engine, 0))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("spark.trueno.transfer.maxInFlight");
  }
}
