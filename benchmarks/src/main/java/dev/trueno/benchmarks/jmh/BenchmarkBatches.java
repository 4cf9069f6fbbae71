package dev.trueno.benchmarks.jmh;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarBackend;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Runs one keyless aggregate through the scalar reference backend, as Trueno's scalar path does.
 */
final class BenchmarkBatches {
  private BenchmarkBatches() {}

  /** A global (keyless) COMPLETE aggregation of {@code calls} over {@code input}. */
  static AggregatePlan globalAggregate(List<Field> input, AggregateCall... calls) {
    return new AggregatePlan(
        input, List.of(), List.of(), List.of(calls), AggregateMode.COMPLETE, List.of(), List.of());
  }

  /** An aggregate call in update mode without FILTER, non-ANSI. */
  static AggregateCall call(AggregateFunction function, Expr argument, DataType resultType) {
    DataType argumentType = argument == null ? DataType.LONG : argument.type();
    return new AggregateCall(function, argument, argumentType, resultType, List.of(), null, false);
  }

  /** Consumes {@code batch} and returns the first result column's value. */
  static Object runScalar(AggregatePlan plan, VectorSchemaRoot batch, BufferAllocator allocator) {
    try (Aggregator aggregator = new ScalarBackend().createAggregator(plan, allocator)) {
      aggregator.consume(batch);
      try (VectorSchemaRoot result = aggregator.nextResult(1)) {
        return result.getVector(0).getObject(0);
      }
    }
  }
}
