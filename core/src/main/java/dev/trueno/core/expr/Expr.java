package dev.trueno.core.expr;

import dev.trueno.core.types.DataType;
import java.util.List;

/**
 * An expression of the Trueno IR, evaluated over the columns of one input batch.
 *
 * <p>The IR is typed by the engine that built it: every node carries the result type Spark's
 * analyzer gave it (decimal precision and scale included), so backends never re-derive types.
 * Semantics are Spark's: SQL three-valued logic, nulls propagating through arithmetic, and, when a
 * node's {@code ansi} flag is set, errors instead of NULL on overflow, division by zero and invalid
 * casts.
 */
public sealed interface Expr extends java.io.Serializable
    permits ColumnRef,
        Literal,
        Arithmetic,
        Negate,
        Comparison,
        And,
        Or,
        Not,
        IsNull,
        IsNotNull,
        Cast,
        CaseWhen,
        In,
        Coalesce,
        UnscaledValue,
        MakeDecimal {

  /** The type of the value this expression produces. */
  DataType type();

  /** The direct sub-expressions, in evaluation order. */
  List<Expr> children();
}
