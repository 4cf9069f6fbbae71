package dev.trueno.spark.exec;

import dev.trueno.core.cost.BackendChoice;
import dev.trueno.core.cost.CpuBackend;
import dev.trueno.core.cost.Decision;
import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.core.cost.OperatorEstimate;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.spark.calibration.Calibration;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's side of {@code spark.trueno.backend=AUTO}: each task of an accelerated node prices
 * its own partition, from the batches it read ahead, and runs it where the 5x rule says. The
 * decision is counted in the node's SQL metrics and logged with its figures.
 */
final class PartitionDecisions {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionDecisions.class);

  // The last profile with overrides applied, so that tasks do not re-validate them each time.
  private static volatile Derived derived;

  private record Derived(
      HardwareProfile measured, Map<String, Double> overrides, HardwareProfile p) {}

  private PartitionDecisions() {}

  /** The node's SQL metrics of its decisions, updated by its tasks. */
  record Metrics(
      SQLMetric gpuPartitions,
      SQLMetric cpuPartitions,
      SQLMetric estimatedCpuTime,
      SQLMetric estimatedTransferTime)
      implements Serializable {

    void record(Decision d) {
      (d.gpu() ? gpuPartitions : cpuPartitions).add(1);
      estimatedCpuTime.add((long) Math.min(Long.MAX_VALUE, d.cpuSeconds() * 1e9));
      estimatedTransferTime.add((long) Math.min(Long.MAX_VALUE, d.transferSeconds() * 1e9));
    }
  }

  /**
   * Decides where one partition runs.
   *
   * @param node the node's name, for the log line
   * @param settings the rule's settings, shipped with the task
   * @param cpu the CPU backend that runs the partition when the GPU does not
   * @param phases the partition's estimates (at least one)
   * @param readAheadComplete whether the estimates cover the whole partition (else a prefix)
   */
  static Decision decide(
      String node,
      CostSettings settings,
      Backends.Choice cpu,
      List<OperatorEstimate> phases,
      boolean readAheadComplete,
      Metrics metrics) {
    long input = phases.stream().mapToLong(OperatorEstimate::inputBytes).sum();
    Decision decision = price(settings, cpu, phases);
    metrics.record(decision);
    if (LOG.isDebugEnabled() || settings.logEachDecision()) {
      TaskContext ctx = TaskContext.get();
      String where =
          ctx == null ? "" : " (stage " + ctx.stageId() + ", partition " + ctx.partitionId() + ")";
      String line =
          "Trueno "
              + node
              + where
              + ": "
              + decision.explain()
              + (readAheadComplete ? "" : " [sized from the first " + mib(input) + " read ahead]");
      if (settings.logEachDecision()) {
        LOG.info(line);
      } else {
        LOG.debug(line);
      }
    }
    return decision;
  }

  /**
   * The rule's decision on this JVM: a CPU one without figures when no GPU is usable here or the
   * calibration is pending or failed, else the cost model's.
   */
  static Decision price(CostSettings settings, Backends.Choice cpu, List<OperatorEstimate> phases) {
    CpuBackend cpuBackend = cpu == Backends.Choice.SCALAR ? CpuBackend.SCALAR : CpuBackend.SIMD;
    BackendChoice cpuChoice = cpuBackend.choice();
    OperatorKind kind = phases.get(0).kind();
    long input = phases.stream().mapToLong(OperatorEstimate::inputBytes).sum();
    String gpuReason = Backends.gpuUnavailableReason();
    if (gpuReason != null) {
      return Decision.unpriced(
          cpuChoice, kind, input, cpuChoice.label() + ": no usable GPU (" + gpuReason + ")");
    }
    HardwareProfile profile = profile(settings);
    if (profile == null) {
      return Decision.unpriced(
          cpuChoice, kind, input, cpuChoice.label() + ": " + Calibration.pendingOrFailedReason());
    }
    return settings.model(profile).decide(phases, cpuBackend);
  }

  /** The backend a decision runs on. */
  static Backends.Choice choice(Decision d) {
    return switch (d.backend()) {
      case GPU -> Backends.Choice.GPU;
      case SIMD -> Backends.Choice.SIMD;
      case SCALAR -> Backends.Choice.SCALAR;
    };
  }

  /** Whether input batches of this executor are in pinned memory (copied at the pinned rate). */
  static boolean pinnedInput() {
    return GpuBackend.pinnedPoolIfStarted() != null;
  }

  /** The executor's measured profile with the configured overrides, or null while pending. */
  static HardwareProfile profile(CostSettings settings) {
    HardwareProfile measured = Calibration.current(settings.calibrationCacheDir());
    if (measured == null) {
      return null;
    }
    Derived d = derived;
    if (d == null
        || d.measured() != measured
        || !d.overrides().equals(settings.profileOverrides())) {
      d =
          new Derived(
              measured,
              settings.profileOverrides(),
              measured.withOverrides(settings.profileOverrides()));
      derived = d;
    }
    return d.p();
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
  }
}
