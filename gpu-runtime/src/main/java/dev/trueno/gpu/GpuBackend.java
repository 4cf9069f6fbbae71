package dev.trueno.gpu;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.gpu.agg.GpuHashAggregator;
import dev.trueno.gpu.agg.GroupedSupport;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.fault.GpuHealth;
import dev.trueno.gpu.join.GpuJoinBuild;
import dev.trueno.gpu.join.GpuJoinProbe;
import dev.trueno.gpu.join.JoinSupport;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The CUDA backend. This slice runs, in COMPLETE and PARTIAL modes and with results equal to the
 * scalar backend's: global aggregates (SUM, COUNT, MIN, MAX, AVG over int, bigint and double
 * columns) and a hash group-by on 1 or 2 int/bigint key columns with COUNT(*), COUNT, SUM, MIN and
 * MAX of int/bigint columns; hash joins on 1 to 4 fixed-width keys with fixed-width columns and a
 * condition the device can evaluate ({@link JoinSupport}); every other plan gets a reason from
 * {@link #unsupportedReason}.
 */
public final class GpuBackend implements Backend {
  private static final Object SHARED_LOCK = new Object();
  private static DeviceMemoryPool sharedPool;
  private static volatile PinnedMemoryPool sharedPinned;

  private final DeviceMemoryPool pool;
  private final PinnedMemoryPool pinned;
  private final GpuSettings settings;

  /** The backend on this JVM's device with the default settings. */
  public GpuBackend() {
    this(GpuSettings.DEFAULTS);
  }

  /**
   * The backend on this JVM's device, with the JVM-wide memory pool, made on first use with the
   * budget of the first settings that reach it (an executor's settings are all the same).
   */
  public GpuBackend(GpuSettings settings) {
    this(null, settings);
  }

  /** The backend allocating from {@code pool} (tests shrink the budget this way). */
  public GpuBackend(DeviceMemoryPool pool) {
    this(pool, GpuSettings.DEFAULTS);
  }

  /** The backend allocating from {@code pool} (null: the JVM-wide pool) with {@code settings}. */
  public GpuBackend(DeviceMemoryPool pool, GpuSettings settings) {
    this(pool, null, settings);
  }

  /**
   * The backend allocating from {@code pool} whose operators copy input buffers that lie in {@code
   * pinned} by DMA as they are, without starting the executor's pinned pool (calibration times its
   * operators this way). A null {@code pinned} is the executor's pool once started, as above.
   */
  public GpuBackend(DeviceMemoryPool pool, PinnedMemoryPool pinned, GpuSettings settings) {
    this.pool = pool;
    this.pinned = pinned;
    this.settings = settings;
  }

  /** The settings this backend runs with. */
  public GpuSettings settings() {
    return settings;
  }

  @Override
  public String name() {
    return "gpu";
  }

  /**
   * Why the GPU cannot be used in this JVM: discovery found none, or a sticky CUDA error disabled
   * it ({@link GpuHealth#disable}); null when it can.
   */
  @Override
  public String unavailableReason() {
    String disabled = GpuHealth.disabledReason();
    return disabled != null ? disabled : CudaDevice.discover().unavailableReason();
  }

  @Override
  public String unsupportedReason(AggregatePlan plan) {
    if (usesReductionKernels(plan)) {
      return null;
    }
    String reason = GroupedSupport.unsupportedReason(plan);
    if (reason == null || !plan.groupingKeys().isEmpty()) {
      return reason;
    }
    // Keyless: name what the reduction kernels lack too, where the hash path also refuses.
    return GlobalAggregateSupport.unsupportedReason(plan) + "; " + reason;
  }

  /**
   * Keyless aggregations the block reductions run ({@link GpuGlobalAggregator}, far faster than one
   * hash table slot that every row updates); other keyless ones run as a single group on the hash
   * aggregation path.
   */
  private static boolean usesReductionKernels(AggregatePlan plan) {
    return plan.groupingKeys().isEmpty() && GlobalAggregateSupport.unsupportedReason(plan) == null;
  }

  @Override
  public Aggregator createAggregator(AggregatePlan plan, BufferAllocator allocator) {
    CudaDevice device = usableDevice();
    String reason = unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "The GPU backend cannot run this aggregation: " + reason);
    }
    DeviceMemoryPool devicePool = pool != null ? pool : sharedPool(device, settings);
    if (pool == null) {
      startPinnedPool(settings);
    }
    return usesReductionKernels(plan)
        ? new GpuGlobalAggregator(plan, device, devicePool, allocator)
        : new GpuHashAggregator(plan, device, devicePool, allocator, settings, pinned);
  }

  @Override
  public String unsupportedReason(JoinPlan plan) {
    return JoinSupport.unsupportedReason(plan);
  }

  @Override
  public JoinBuild createJoinBuild(JoinPlan plan, BufferAllocator allocator, long budgetBytes) {
    CudaDevice device = usableDevice();
    String reason = unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "The GPU backend cannot run this join: " + reason);
    }
    DeviceMemoryPool devicePool = pool != null ? pool : sharedPool(device, settings);
    if (pool == null) {
      startPinnedPool(settings);
    }
    return new GpuJoinBuild(plan, device, devicePool, allocator, budgetBytes, settings, pinned);
  }

  @Override
  public JoinProbe createJoinProbe(JoinPlan plan, JoinBuild build, BufferAllocator allocator) {
    if (!(build instanceof GpuJoinBuild gpuBuild)) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The GPU backend can only probe its own join builds, not " + build.getClass().getName());
    }
    return new GpuJoinProbe(plan, gpuBuild, allocator);
  }

  private static CudaDevice usableDevice() {
    String disabled = GpuHealth.disabledReason();
    if (disabled != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "The GPU backend cannot run here: " + disabled);
    }
    CudaDevice.Discovery discovery = CudaDevice.discover();
    if (!discovery.usable()) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED,
          "The GPU backend cannot run here: " + discovery.unavailableReason());
    }
    return discovery.device();
  }

  /**
   * The executor's pinned host memory pool (budget {@code spark.trueno.gpu.pinnedMemory.bytes} of
   * the first settings), made when the first GPU aggregator of this JVM starts; null until then and
   * in a JVM without a usable GPU. Arrow allocations of the whole JVM go there while it has room
   * ({@code PinnedAllocationManager.pinnedWhenAvailable}), so batches reach the device by DMA.
   */
  public static PinnedMemoryPool pinnedPoolIfStarted() {
    return sharedPinned;
  }

  /** Starts the pinned pool ({@link #pinnedPoolIfStarted}) if a GPU is usable; never throws. */
  public static void startPinnedPool(GpuSettings settings) {
    if (sharedPinned != null) {
      return;
    }
    CudaDevice.Discovery discovery = CudaDevice.discover();
    if (!discovery.usable()) {
      return;
    }
    synchronized (SHARED_LOCK) {
      if (sharedPinned == null) {
        sharedPinned =
            PinnedMemoryPool.create(
                discovery.device(), "executor-pinned", settings.pinnedMemoryBytes());
      }
    }
  }

  /** The JVM-wide pool; it lives as long as the executor, like the device's context. */
  private static DeviceMemoryPool sharedPool(CudaDevice device, GpuSettings settings) {
    synchronized (SHARED_LOCK) {
      if (sharedPool == null) {
        long free = device.memoryInfo()[0];
        sharedPool = DeviceMemoryPool.create(device, "executor", settings.budget(free));
      }
      return sharedPool;
    }
  }
}
