package dev.trueno.spark.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BroadcastBuildsTest {
  private static final JoinPlan PLAN =
      new JoinPlan(
          JoinType.INNER,
          BuildSide.RIGHT,
          List.of(new Field("a", DataType.INT, true)),
          List.of(new Field("b", DataType.INT, true)),
          List.of(new ColumnRef(0, DataType.INT, "a")),
          List.of(new ColumnRef(0, DataType.INT, "b")),
          null);

  private final long before = ArrowMemory.allocatedBytes();
  private final AtomicInteger builds = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();

  @AfterEach
  void nothingLeftAllocated() {
    BroadcastBuilds.closeIdle();
    assertThat(ArrowMemory.allocatedBytes()).isEqualTo(before);
  }

  /** A build holding one buffer of its allocator, counting builds and closes. */
  private JoinBuild fakeBuild(BufferAllocator allocator) {
    builds.incrementAndGet();
    ArrowBuf held = allocator.buffer(64);
    return new JoinBuild() {
      @Override
      public void add(VectorSchemaRoot batch) {}

      @Override
      public void finish() {}

      @Override
      public long rowCount() {
        return 0;
      }

      @Override
      public long sizeBytes() {
        return 64;
      }

      @Override
      public void close() {
        held.close();
        closed.incrementAndGet();
      }
    };
  }

  private static BroadcastBuilds.Key key(long id) {
    return new BroadcastBuilds.Key(id, PLAN, Backends.Choice.SCALAR);
  }

  @Test
  void tasksOfOneBroadcastShareOneBuild() {
    BroadcastBuilds.Acquired first = BroadcastBuilds.acquire(key(1), 1 << 20, this::fakeBuild);
    BroadcastBuilds.Acquired second = BroadcastBuilds.acquire(key(1), 1 << 20, this::fakeBuild);
    assertThat(first.built()).isTrue();
    assertThat(second.built()).isFalse();
    assertThat(second.shared().build()).isSameAs(first.shared().build());
    assertThat(builds).hasValue(1);
    BroadcastBuilds.release(first.shared());
    BroadcastBuilds.release(second.shared());
    assertThat(closed).hasValue(0);
    assertThat(BroadcastBuilds.closeIdle()).isEqualTo(1);
    assertThat(closed).hasValue(1);
  }

  @Test
  void aBuildInUseIsNotClosed() {
    BroadcastBuilds.Acquired held = BroadcastBuilds.acquire(key(2), 1 << 20, this::fakeBuild);
    assertThat(BroadcastBuilds.closeIdle()).isZero();
    assertThat(closed).hasValue(0);
    BroadcastBuilds.release(held.shared());
  }

  @Test
  void anIdleBuildIsClosedAfterTheGracePeriod() throws InterruptedException {
    BroadcastBuilds.release(BroadcastBuilds.acquire(key(3), 1 << 20, this::fakeBuild).shared());
    long deadline = System.nanoTime() + (BroadcastBuilds.IDLE_MILLIS + 5_000) * 1_000_000L;
    while (closed.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(closed).hasValue(1);
  }

  @Test
  void aFailedBuildIsForgottenAndRetried() {
    assertThatThrownBy(
            () ->
                BroadcastBuilds.acquire(
                    key(4),
                    1 << 20,
                    a -> {
                      throw new IllegalStateException("cannot build");
                    }))
        .hasMessageContaining("cannot build");
    BroadcastBuilds.Acquired retry = BroadcastBuilds.acquire(key(4), 1 << 20, this::fakeBuild);
    assertThat(retry.built()).isTrue();
    BroadcastBuilds.release(retry.shared());
  }

  @Test
  void differentBroadcastsHaveDifferentBuilds() {
    BroadcastBuilds.Acquired a = BroadcastBuilds.acquire(key(5), 1 << 20, this::fakeBuild);
    BroadcastBuilds.Acquired b = BroadcastBuilds.acquire(key(6), 1 << 20, this::fakeBuild);
    assertThat(builds).hasValue(2);
    BroadcastBuilds.release(a.shared());
    BroadcastBuilds.release(b.shared());
  }
}
