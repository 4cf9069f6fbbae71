package dev.trueno.gpu.expr;

import dev.trueno.core.expr.Expr;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.List;

/**
 * A core IR expression compiled for the GPU: a program that {@code expr_eval} runs once per row,
 * with exactly the scalar backend's results, NULLs and ANSI errors. Immutable and shareable; run it
 * with a {@link DeviceExprEvaluator}.
 *
 * <p>Supported: columns and literals of boolean, byte, short, int, bigint, float, double, date and
 * decimal of precision up to 18; {@code + - * %} (and {@code /} of floating values) with legacy
 * wrapping or ANSI errors; decimal {@code + - *} where operands and result have precision up to 18;
 * unary minus; all comparisons including {@code <=>} (NaN equal to itself and above every number,
 * -0.0 equal to 0.0); AND, OR, NOT, IS [NOT] NULL, CASE WHEN / IF, IN, COALESCE, UnscaledValue,
 * MakeDecimal; CAST among boolean and numeric types except from floating to decimal and from wide
 * fractional decimals to floating. Everything else has a reason from {@link #unsupportedReason}.
 */
public final class DeviceExpr {
  private final Expr expr;
  private final ExprCompiler.Compiled compiled;

  private DeviceExpr(Expr expr, ExprCompiler.Compiled compiled) {
    this.expr = expr;
    this.compiled = compiled;
  }

  /**
   * Why the GPU cannot evaluate {@code expr} over columns {@code input} exactly as the scalar
   * backend does ("... is not on the GPU yet: ..."), or null when it can.
   */
  public static String unsupportedReason(Expr expr, List<Field> input) {
    return ExprCompiler.unsupportedReason(expr, input);
  }

  /**
   * Compiles {@code expr} over columns {@code input}.
   *
   * @throws dev.trueno.core.error.TruenoException UNSUPPORTED with {@link #unsupportedReason} when
   *     the GPU cannot evaluate it
   */
  public static DeviceExpr compile(Expr expr, List<Field> input) {
    return new DeviceExpr(expr, ExprCompiler.compile(expr, input));
  }

  /** The expression this was compiled from. */
  public Expr expr() {
    return expr;
  }

  /** The result type. */
  public DataType type() {
    return expr.type();
  }

  /** The input ordinals the program reads, ascending; only these columns must be on the device. */
  public int[] columnsRead() {
    return compiled.columns().clone();
  }

  /** True when the program can raise an ANSI error (then evaluation waits for the kernel). */
  public boolean canRaise() {
    return !compiled.sites().isEmpty();
  }

  ExprCompiler.Compiled compiled() {
    return compiled;
  }

  @Override
  public String toString() {
    return "DeviceExpr(" + expr + ")";
  }
}
