package dev.trueno.core.plan;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import java.util.List;

/**
 * One aggregate function of an {@link AggregatePlan}.
 *
 * @param function the function
 * @param argument the argument over input rows (update modes); null for COUNT(*) and in merge modes
 * @param argumentType the type of the function's argument as Spark typed it (for COUNT(*) any type,
 *     conventionally LONG); this determines the buffer layout
 * @param resultType the final result type as Spark typed it
 * @param bufferOrdinals in merge modes, the input columns that hold this function's buffer, in the
 *     order of {@link #bufferFields()}; empty in update modes
 * @param filter an optional {@code FILTER (WHERE ...)} condition over input rows (update modes
 *     only); null when absent
 * @param ansi whether overflow raises Spark's error (ANSI mode) instead of wrapping or giving NULL
 */
public record AggregateCall(
    AggregateFunction function,
    Expr argument,
    DataType argumentType,
    DataType resultType,
    List<Integer> bufferOrdinals,
    Expr filter,
    boolean ansi)
    implements java.io.Serializable {

  /** Copies the ordinals. */
  public AggregateCall {
    bufferOrdinals = List.copyOf(bufferOrdinals);
  }

  /**
   * The aggregation buffer of this function, in Spark's layout, so that a Trueno partial can feed a
   * Spark final and the reverse.
   *
   * <ul>
   *   <li>SUM of integers: {@code sum: long}; of floats: {@code sum: double}; of decimal(p,s):
   *       {@code sum: decimal(p+10,s), isEmpty: boolean}
   *   <li>COUNT and COUNT(*): {@code count: long}, never null
   *   <li>MIN and MAX: {@code min|max: <argument type>}
   *   <li>AVG: {@code sum: double, count: long}; of decimal(p,s): {@code sum: decimal(p+10,s),
   *       count: long}
   * </ul>
   */
  public List<Field> bufferFields() {
    return switch (function) {
      case SUM -> {
        DataType sumType = sumType(argumentType);
        yield sumType.isDecimal()
            ? List.of(
                new Field("sum", sumType, true), new Field("isEmpty", DataType.BOOLEAN, false))
            : List.of(new Field("sum", sumType, true));
      }
      case COUNT, COUNT_STAR -> List.of(new Field("count", DataType.LONG, false));
      case MIN -> List.of(new Field("min", argumentType, true));
      case MAX -> List.of(new Field("max", argumentType, true));
      case AVG ->
          List.of(
              new Field("sum", avgSumType(argumentType), true),
              new Field("count", DataType.LONG, true));
    };
  }

  /** Spark's {@code Sum.resultType}: long for integers, double for floats, decimal(p+10,s). */
  public static DataType sumType(DataType input) {
    TypeKind k = input.kind();
    if (k.isIntegral()) {
      return DataType.LONG;
    }
    if (k.isFloating()) {
      return DataType.DOUBLE;
    }
    if (k == TypeKind.DECIMAL) {
      return DataType.boundedDecimal(input.precision() + 10, input.scale());
    }
    throw new TruenoException(ErrorCode.UNSUPPORTED, "SUM over " + input + " is not supported");
  }

  /** Spark's {@code Average.sumDataType}: decimal(p+10,s) for decimals, else double. */
  public static DataType avgSumType(DataType input) {
    if (input.isDecimal()) {
      return DataType.boundedDecimal(input.precision() + 10, input.scale());
    }
    if (input.kind().isNumeric()) {
      return DataType.DOUBLE;
    }
    throw new TruenoException(ErrorCode.UNSUPPORTED, "AVG over " + input + " is not supported");
  }

  /** Spark's {@code Average.dataType}: decimal(p+4,s+4) (bounded) for decimals, else double. */
  public static DataType avgResultType(DataType input) {
    if (input.isDecimal()) {
      return DataType.boundedDecimal(input.precision() + 4, input.scale() + 4);
    }
    return DataType.DOUBLE;
  }
}
