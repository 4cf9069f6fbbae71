package dev.trueno.benchmarks.tpch;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where one Trueno operator of an executed plan ran: the partitions the 5x rule sent to the GPU and
 * to the CPU, or the fixed backend of an operator the rule does not decide.
 *
 * @param operator the operator, e.g. {@code HashJoin(INNER, shuffled)}
 * @param fixedBackend the backend of an operator without the rule, e.g. {@code simd}; null when the
 *     rule decided its partitions
 * @param gpuPartitions partitions the rule sent to the GPU
 * @param cpuPartitions partitions the rule sent to the CPU backend
 */
record OperatorChoice(
    String operator, String fixedBackend, long gpuPartitions, long cpuPartitions) {

  /** Where the rule placed an operator's partitions, or {@link #FIXED} without the rule. */
  enum Placement {
    GPU,
    CPU,
    MIXED,
    /** The rule decides, but no partition of this operator ran. */
    NONE,
    FIXED
  }

  static OperatorChoice ruled(String operator, long gpuPartitions, long cpuPartitions) {
    return new OperatorChoice(operator, null, gpuPartitions, cpuPartitions);
  }

  static OperatorChoice fixed(String operator, String backend) {
    return new OperatorChoice(operator, backend, 0, 0);
  }

  Placement placement() {
    if (fixedBackend != null) {
      return Placement.FIXED;
    }
    if (gpuPartitions > 0 && cpuPartitions > 0) {
      return Placement.MIXED;
    }
    if (gpuPartitions > 0) {
      return Placement.GPU;
    }
    return cpuPartitions > 0 ? Placement.CPU : Placement.NONE;
  }

  /**
   * {@code HashAggregate(PARTIAL) gpu 8/8}, {@code ... mixed gpu 3/8 cpu 5/8}, {@code ... simd
   * (fixed)}.
   */
  String describe() {
    long total = gpuPartitions + cpuPartitions;
    String where =
        switch (placement()) {
          case FIXED -> fixedBackend + " (fixed)";
          case GPU -> "gpu " + gpuPartitions + "/" + total;
          case CPU -> "cpu " + cpuPartitions + "/" + total;
          case MIXED ->
              "mixed gpu " + gpuPartitions + "/" + total + " cpu " + cpuPartitions + "/" + total;
          case NONE -> "no partitions ran";
        };
    return operator + " " + where;
  }

  /** Every operator's choice in plan order, comma separated, or {@code none}. */
  static String describe(List<OperatorChoice> choices) {
    return choices.isEmpty()
        ? "none"
        : choices.stream().map(OperatorChoice::describe).collect(Collectors.joining(", "));
  }

  /**
   * The choices counted by placement, e.g. {@code gpu 2 ops, cpu 3 ops, mixed 1, fixed 1}; only the
   * placements that occur, or {@code none}.
   */
  static String summarize(List<OperatorChoice> choices) {
    int[] counts = new int[Placement.values().length];
    choices.forEach(c -> counts[c.placement().ordinal()]++);
    StringBuilder text = new StringBuilder();
    for (Placement p : Placement.values()) {
      int n = counts[p.ordinal()];
      if (n == 0) {
        continue;
      }
      if (text.length() > 0) {
        text.append(", ");
      }
      String name = p == Placement.NONE ? "not run" : p.name().toLowerCase(Locale.ROOT);
      text.append(name).append(' ').append(n);
      if (p == Placement.GPU || p == Placement.CPU) {
        text.append(n == 1 ? " op" : " ops");
      }
    }
    return text.length() == 0 ? "none" : text.toString();
  }
}
