package dev.trueno.core.cost;

import java.util.Locale;

/**
 * The kinds of work the cost model prices separately, because their bytes-per-second differ by an
 * order of magnitude on both CPU and GPU (a reduction streams, a join probe chases hash buckets).
 */
public enum OperatorKind {
  /** Aggregates without grouping keys: one pass, a few accumulators. */
  REDUCTION,
  /** Predicate evaluation producing a selection. */
  FILTER,
  /** Grouped aggregation through a hash table. */
  HASH_AGGREGATE,
  /** Building the hash table of a join. */
  JOIN_BUILD,
  /** Probing a built hash table with the streamed side of a join. */
  JOIN_PROBE;

  /**
   * The stable name of this kind in override keys ({@code reduction}, {@code filter}, {@code
   * hashAggregate}, {@code joinBuild}, {@code joinProbe}); it never changes with the enum's name.
   */
  public String key() {
    return switch (this) {
      case REDUCTION -> "reduction";
      case FILTER -> "filter";
      case HASH_AGGREGATE -> "hashAggregate";
      case JOIN_BUILD -> "joinBuild";
      case JOIN_PROBE -> "joinProbe";
    };
  }

  /** The kind's name as explain output prints it, e.g. {@code hash_aggregate}. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
