package dev.trueno.core.types;

/** The kinds of values the Trueno IR can carry. */
public enum TypeKind {
  BOOLEAN,
  BYTE,
  SHORT,
  INT,
  LONG,
  FLOAT,
  DOUBLE,
  DECIMAL,
  DATE,
  TIMESTAMP,
  STRING;

  /** True for the integer kinds (byte, short, int, long). */
  public boolean isIntegral() {
    return this == BYTE || this == SHORT || this == INT || this == LONG;
  }

  /** True for float and double. */
  public boolean isFloating() {
    return this == FLOAT || this == DOUBLE;
  }

  /** True for every kind that supports arithmetic. */
  public boolean isNumeric() {
    return isIntegral() || isFloating() || this == DECIMAL;
  }
}
