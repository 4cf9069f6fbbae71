package dev.trueno.core.expr;

/** The arithmetic operators. */
public enum ArithmeticOp {
  ADD("+"),
  SUBTRACT("-"),
  MULTIPLY("*"),
  /** Spark's {@code /}: its operands are double or decimal. */
  DIVIDE("/"),
  /** Spark's {@code %}: the sign follows the dividend. */
  REMAINDER("%");

  private final String symbol;

  ArithmeticOp(String symbol) {
    this.symbol = symbol;
  }

  /** The SQL symbol. */
  public String symbol() {
    return symbol;
  }
}
