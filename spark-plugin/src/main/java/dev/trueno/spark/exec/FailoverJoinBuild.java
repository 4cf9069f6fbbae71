package dev.trueno.spark.exec;

import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.gpu.fault.GpuHealth;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A task's own GPU join build that can be rebuilt on the CPU after a GPU failure.
 *
 * <p>It keeps a reference to the buffers of every build batch (no copy; the batches it is given are
 * never refilled) while their total stays within {@code spark.trueno.gpu.failover.replayBytes}, for
 * the whole task, so that both a failure of the build and a failure of a later probe ({@link
 * FailoverJoinProbe}) can rebuild on the CPU. MEMORY_EXHAUSTED from {@link #add} is not a failover:
 * it goes to the task, which splits the join into parts on disk.
 */
final class FailoverJoinBuild implements JoinBuild {
  private final JoinPlan plan;
  private final BufferAllocator allocator;
  private final long budgetBytes;
  private final long replayBudget;
  private final String node;
  private final Runnable onFailover;
  private final List<ArrowRecordBatch> kept = new ArrayList<>();
  private final List<Schema> keptSchemas = new ArrayList<>();
  private long keptBytes;
  private boolean keeping;
  private boolean finished;
  private boolean onCpu;
  private JoinBuild active;

  /**
   * A build that runs {@code gpu} and rebuilds on the CPU after a GPU failure, keeping at most
   * {@code replayBudget} bytes of build batches; {@code onFailover} counts the metric.
   */
  FailoverJoinBuild(
      JoinBuild gpu,
      JoinPlan plan,
      BufferAllocator allocator,
      long budgetBytes,
      long replayBudget,
      String node,
      Runnable onFailover) {
    this.active = gpu;
    this.plan = plan;
    this.allocator = allocator;
    this.budgetBytes = budgetBytes;
    this.replayBudget = replayBudget;
    this.node = node;
    this.onFailover = onFailover;
    this.keeping = replayBudget > 0;
  }

  /** The build that does the work now: the GPU's, or the CPU's after a failover. */
  JoinBuild active() {
    return active;
  }

  /** True once the build moved to the CPU. */
  boolean onCpu() {
    return onCpu;
  }

  @Override
  public void add(VectorSchemaRoot batch) {
    if (!onCpu && keeping) {
      long bytes = ArrowInput.bytes(batch);
      if (keptBytes + bytes <= replayBudget) {
        kept.add(new VectorUnloader(batch).getRecordBatch());
        keptSchemas.add(batch.getSchema());
        keptBytes += bytes;
      } else {
        keeping = false;
        releaseKept();
      }
    }
    try {
      active.add(batch);
    } catch (RuntimeException e) {
      if (onCpu || isSplit(e)) {
        throw e;
      }
      // The failed batch is the last one kept: the CPU build gets every batch so far.
      failOver(e, "the build");
    }
  }

  @Override
  public void finish() {
    try {
      active.finish();
    } catch (RuntimeException e) {
      if (onCpu || isSplit(e)) {
        throw e;
      }
      failOver(e, "the build");
      active.finish();
    }
    finished = true;
  }

  /** MEMORY_EXHAUSTED of the build goes to the task, which splits the join into parts. */
  private static boolean isSplit(RuntimeException e) {
    return e instanceof TruenoException t && t.code() == ErrorCode.MEMORY_EXHAUSTED;
  }

  /**
   * Replaces the GPU build by a CPU build of the kept batches after {@code e}; finished too when
   * the GPU build was. The caller has closed every GPU probe of this build.
   *
   * @throws TruenoException saying why not, when the batches were not kept
   */
  void failOver(RuntimeException e, String where) {
    GpuHealth.Failure failure = GpuHealth.classify(e);
    if (!failure.isGpuFailure()) {
      throw e;
    }
    if (!keeping) {
      throw GpuFailover.unrecoverable(
          node, failure, e, GpuFailover.notKept("build side", replayBudget));
    }
    try {
      active.close();
    } catch (RuntimeException secondary) {
      e.addSuppressed(secondary);
    }
    active = null;
    onCpu = true;
    GpuFailover.recovered(node, failure, e);
    onFailover.run();
    JoinBuild cpu = GpuFailover.cpuBackend().createJoinBuild(plan, allocator, budgetBytes);
    active = cpu;
    for (int i = 0; i < kept.size(); i++) {
      try (VectorSchemaRoot root = VectorSchemaRoot.create(keptSchemas.get(i), allocator)) {
        new VectorLoader(root).load(kept.get(i));
        cpu.add(root);
      }
    }
    if (finished) {
      cpu.finish();
    }
    // A CPU build does not fail over again; its batches are not needed any more.
    keeping = false;
    releaseKept();
  }

  private void releaseKept() {
    kept.forEach(ArrowRecordBatch::close);
    kept.clear();
    keptSchemas.clear();
    keptBytes = 0;
  }

  @Override
  public long rowCount() {
    return active.rowCount();
  }

  @Override
  public long sizeBytes() {
    return active.sizeBytes();
  }

  @Override
  public void close() {
    try {
      releaseKept();
    } finally {
      if (active != null) {
        active.close();
      }
    }
  }
}
