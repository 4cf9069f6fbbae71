package dev.trueno.gpu.expr;

import dev.trueno.core.types.DataType;

/**
 * The instruction set of {@code expr_eval} (src/main/cuda/expressions.cu). Every constant here must
 * equal its {@code EXPR_*} twin in the .cu file: the two sides share no header.
 */
final class ExprOps {
  private ExprOps() {}

  /** Ints per instruction: op, dst, a, b, p0, p1, p2, p3, p4, site. */
  static final int INSN = 10;

  /** Registers of one thread; larger expressions stay on the CPU. */
  static final int MAX_REGS = 64;

  /** Outputs of one launch (the kernel keeps one bit per output in a 64-bit mask). */
  static final int MAX_OUTPUTS = 64;

  static final int HALT = 0;
  static final int LOAD = 1;
  static final int CONST = 2;
  static final int NULL = 3;
  static final int MOV = 4;
  static final int JMP = 5;
  static final int NULLJ = 6;
  static final int ZEROJ = 7;
  static final int FALSEJ = 8;
  static final int TRUEJ = 9;
  static final int NOTTRUEJ = 10;
  static final int NOTNULLJ = 11;
  static final int AND = 12;
  static final int OR = 13;
  static final int NOT = 14;
  static final int ISNULL = 15;
  static final int ISNOTNULL = 16;
  static final int IARITH = 20;
  static final int FARITH = 21;
  static final int DADDSUB = 22;
  static final int DMUL = 23;
  static final int NEG = 24;
  static final int CMP = 25;
  static final int IN = 26;
  static final int CAST = 27;
  static final int MAKEDEC = 28;
  static final int OUT = 29;

  /** Whether {@code op} jumps to its p0. */
  static boolean isJump(int op) {
    return op >= JMP && op <= NOTNULLJ;
  }

  static final int K_BOOL = 0;
  static final int K_BYTE = 1;
  static final int K_SHORT = 2;
  static final int K_INT = 3;
  static final int K_LONG = 4;
  static final int K_FLOAT = 5;
  static final int K_DOUBLE = 6;
  static final int K_DATE = 7;
  static final int K_DEC = 8;

  /** Output kind only: one bitmap, bit set where the predicate is TRUE. */
  static final int K_SELECT = 9;

  static final int A_ADD = 0;
  static final int A_SUB = 1;
  static final int A_MUL = 2;
  static final int A_DIV = 3;
  static final int A_REM = 4;

  static final int C_EQ = 0;
  static final int C_NSEQ = 1;
  static final int C_LT = 2;
  static final int C_LE = 3;
  static final int C_GT = 4;
  static final int C_GE = 5;

  static final int D_LONG = 0;
  static final int D_DOUBLE = 1;
  static final int D_DEC = 2;

  /** The error a site raised: its main error (overflow, out of range) ... */
  static final int E_OVERFLOW = 1;

  /** ... or division by zero. */
  static final int E_DIVIDE_BY_ZERO = 2;

  /** The kernel's value kind of a type the GPU evaluates. */
  static int kind(DataType type) {
    return switch (type.kind()) {
      case BOOLEAN -> K_BOOL;
      case BYTE -> K_BYTE;
      case SHORT -> K_SHORT;
      case INT -> K_INT;
      case LONG -> K_LONG;
      case FLOAT -> K_FLOAT;
      case DOUBLE -> K_DOUBLE;
      case DATE -> K_DATE;
      case DECIMAL -> K_DEC;
      default -> throw new IllegalArgumentException(type + " has no GPU kind");
    };
  }

  /** Bytes per value of a column of {@code type} (0 for bit-packed booleans), as Arrow lays it. */
  static int width(DataType type) {
    return switch (type.kind()) {
      case BOOLEAN -> 0;
      case BYTE -> 1;
      case SHORT -> 2;
      case INT, FLOAT, DATE -> 4;
      case LONG, DOUBLE -> 8;
      case DECIMAL -> 16;
      default -> throw new IllegalArgumentException(type + " has no GPU layout");
    };
  }
}
