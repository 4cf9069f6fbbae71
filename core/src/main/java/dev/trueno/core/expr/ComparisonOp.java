package dev.trueno.core.expr;

/** The comparison operators. */
public enum ComparisonOp {
  EQUAL("="),
  /** {@code <=>}: never NULL; NULL <=> NULL is true. */
  NULL_SAFE_EQUAL("<=>"),
  LESS_THAN("<"),
  LESS_THAN_OR_EQUAL("<="),
  GREATER_THAN(">"),
  GREATER_THAN_OR_EQUAL(">=");

  private final String symbol;

  ComparisonOp(String symbol) {
    this.symbol = symbol;
  }

  /** The SQL symbol. */
  public String symbol() {
    return symbol;
  }
}
