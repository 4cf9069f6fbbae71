package dev.trueno.gpu.expr;

import static dev.trueno.gpu.expr.ExprOps.*;

import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A line-by-line Java model of {@code expr_eval} for one row, so that the compiler, the host-side
 * error wording and the kernel's algorithms (decimal fitting, casts, comparisons) are checked
 * against the scalar backend on machines without a GPU. It models the .cu file; the GPU tests check
 * the .cu file itself.
 */
final class KernelModel {
  private KernelModel() {}

  /** The value of a single-output program over one row of scalar-form values, or throws. */
  static Object run(DeviceExpr expr, Object[] row, java.util.List<DataType> types) {
    Program p = Program.assemble(java.util.List.of(expr), new boolean[] {false});
    int[] code = p.code();
    long[] pool = p.pool();
    long[] v = new long[MAX_REGS];
    boolean[] nul = new boolean[MAX_REGS];
    int pc = 0;
    while (true) {
      int o = pc * INSN;
      int op = code[o], dst = code[o + 1], a = code[o + 2], b = code[o + 3];
      int p0 = code[o + 4], p1 = code[o + 5], p2 = code[o + 6], p3 = code[o + 7], p4 = code[o + 8];
      int site = code[o + 9];
      pc++;
      switch (op) {
        case HALT -> throw new AssertionError("no OUT");
        case LOAD -> {
          Object x = row[a];
          nul[dst] = x == null;
          v[dst] = x == null ? 0 : bits(x, types.get(a));
        }
        case CONST -> {
          v[dst] = pool[a];
          nul[dst] = false;
        }
        case NULL -> {
          v[dst] = 0;
          nul[dst] = true;
        }
        case MOV -> {
          v[dst] = v[a];
          nul[dst] = nul[a];
        }
        case JMP -> pc = p0;
        case NULLJ -> {
          if (nul[a]) {
            v[dst] = 0;
            nul[dst] = true;
            pc = p0;
          }
        }
        case ZEROJ -> {
          if (p1 != 0 ? d(v[a]) == 0.0 : v[a] == 0) {
            v[dst] = 0;
            nul[dst] = true;
            pc = p0;
          }
        }
        case FALSEJ -> {
          if (!nul[a] && v[a] == 0) {
            v[dst] = 0;
            nul[dst] = false;
            pc = p0;
          }
        }
        case TRUEJ -> {
          if (!nul[a] && v[a] != 0) {
            v[dst] = 1;
            nul[dst] = false;
            pc = p0;
          }
        }
        case NOTTRUEJ -> {
          if (nul[a] || v[a] == 0) {
            pc = p0;
          }
        }
        case NOTNULLJ -> {
          if (!nul[a]) {
            pc = p0;
          }
        }
        case AND -> {
          boolean lf = !nul[a] && v[a] == 0, rf = !nul[b] && v[b] == 0;
          v[dst] = lf || rf ? 0 : 1;
          nul[dst] = !(lf || rf) && (nul[a] || nul[b]);
        }
        case OR -> {
          boolean lt = !nul[a] && v[a] != 0, rt = !nul[b] && v[b] != 0;
          v[dst] = lt || rt ? 1 : 0;
          nul[dst] = !(lt || rt) && (nul[a] || nul[b]);
        }
        case NOT -> {
          nul[dst] = nul[a];
          v[dst] = v[a] == 0 ? 1 : 0;
        }
        case ISNULL -> {
          v[dst] = nul[a] ? 1 : 0;
          nul[dst] = false;
        }
        case ISNOTNULL -> {
          v[dst] = nul[a] ? 0 : 1;
          nul[dst] = false;
        }
        case IARITH -> {
          Long res = iarith(p0, p1, p2 != 0, v[a], v[b]);
          if (res == null) {
            throw fail(p, site, p0 == A_REM ? E_DIVIDE_BY_ZERO : E_OVERFLOW, v[a], v[b], 0);
          }
          v[dst] = res;
          nul[dst] = false;
        }
        case FARITH -> {
          if (p0 >= A_DIV && d(v[b]) == 0.0) {
            throw fail(p, site, E_DIVIDE_BY_ZERO, v[a], v[b], 0);
          }
          v[dst] = Double.doubleToRawLongBits(farith(p0, p1 != 0, d(v[a]), d(v[b])));
          nul[dst] = false;
        }
        case DADDSUB, DMUL -> {
          BigInteger raw;
          int rawScale;
          if (op == DMUL) {
            raw = BigInteger.valueOf(v[a]).multiply(BigInteger.valueOf(v[b]));
            rawScale = p0 + p1;
          } else {
            rawScale = Math.max(p0, p1);
            BigInteger x = BigInteger.valueOf(v[a]).multiply(BigInteger.TEN.pow(rawScale - p0));
            BigInteger y = BigInteger.valueOf(v[b]).multiply(BigInteger.TEN.pow(rawScale - p1));
            raw = (p4 & 1) != 0 ? x.subtract(y) : x.add(y);
          }
          Long res = fit(raw, rawScale, p2, p3);
          if (res == null) {
            if ((p4 & 2) != 0) {
              throw fail(p, site, E_OVERFLOW, raw.longValue(), raw.shiftRight(64).longValue(), 0);
            }
            v[dst] = 0;
            nul[dst] = true;
          } else {
            v[dst] = res;
            nul[dst] = false;
          }
        }
        case NEG -> {
          nul[dst] = nul[a];
          if (nul[a]) {
            v[dst] = 0;
            break;
          }
          long x = v[a];
          if (p0 == K_FLOAT || p0 == K_DOUBLE) {
            v[dst] = x ^ Long.MIN_VALUE;
          } else if (p0 == K_DEC) {
            v[dst] = -x;
          } else {
            long negated = wrap(-x, p0);
            boolean overflow = p0 == K_LONG ? x == Long.MIN_VALUE : negated != -x;
            if (p1 != 0 && overflow) {
              throw fail(p, site, E_OVERFLOW, x, 0, 0);
            }
            v[dst] = negated;
          }
        }
        case CMP -> {
          if (p1 == C_NSEQ && (nul[a] || nul[b])) {
            v[dst] = nul[a] && nul[b] ? 1 : 0;
          } else {
            v[dst] = cmpResult(p1, compare(p0, v[a], v[b], p2, p3)) ? 1 : 0;
          }
          nul[dst] = false;
        }
        case IN -> {
          boolean found = false;
          for (int k = 0; k < p1 && !found; k++) {
            long lit = pool[p0 + k];
            found = p2 == D_DOUBLE ? cmpDouble(d(v[a]), d(lit)) == 0 : v[a] == lit;
          }
          v[dst] = found ? 1 : 0;
          nul[dst] = !found && p3 != 0;
        }
        case CAST -> {
          nul[dst] = nul[a];
          if (nul[a]) {
            v[dst] = 0;
            break;
          }
          long[] out = cast(v[a], p0, p1, p2, p3, p4 != 0);
          if (out == null) {
            throw fail(p, site, E_OVERFLOW, v[a], 0, 0);
          }
          v[dst] = out[0];
          nul[dst] = out[1] != 0;
        }
        case MAKEDEC -> {
          nul[dst] = nul[a];
          v[dst] = v[a];
          if (!nul[a] && BigInteger.valueOf(v[a]).abs().compareTo(BigInteger.TEN.pow(p0)) >= 0) {
            if (p1 == 0) {
              throw fail(p, site, E_OVERFLOW, v[a], 0, 0);
            }
            nul[dst] = true;
            v[dst] = 0;
          }
        }
        case OUT -> {
          return nul[a] ? null : value(v[a], expr.type());
        }
        default -> throw new AssertionError("opcode " + op);
      }
    }
  }

  private static TruenoException fail(Program p, int site, int code, long v0, long v1, long v2) {
    return p.sites().get(site).exception(code, v0, v1, v2);
  }

  static long bits(Object x, DataType t) {
    if (x instanceof Boolean bool) {
      return bool ? 1 : 0;
    }
    if (x instanceof BigDecimal dec) {
      return dec.setScale(t.scale()).unscaledValue().longValueExact();
    }
    if (x instanceof Double dbl) {
      return Double.doubleToRawLongBits(
          t.kind() == dev.trueno.core.types.TypeKind.FLOAT ? (double) (float) (double) dbl : dbl);
    }
    return (Long) x;
  }

  static Object value(long x, DataType t) {
    return switch (t.kind()) {
      case BOOLEAN -> x != 0;
      case FLOAT -> (double) (float) d(x);
      case DOUBLE -> d(x);
      case DECIMAL -> BigDecimal.valueOf(x, t.scale());
      default -> x;
    };
  }

  private static double d(long x) {
    return Double.longBitsToDouble(x);
  }

  private static long wrap(long v, int kind) {
    return switch (kind) {
      case K_BYTE -> (byte) v;
      case K_SHORT -> (short) v;
      case K_INT -> (int) v;
      default -> v;
    };
  }

  private static Long iarith(int op, int kind, boolean ansi, long l, long r) {
    if (op == A_REM && r == 0) {
      return null;
    }
    if (kind == K_LONG) {
      long res;
      switch (op) {
        case A_ADD -> {
          res = l + r;
          if (ansi && ((l ^ res) & (r ^ res)) < 0) {
            return null;
          }
        }
        case A_SUB -> {
          res = l - r;
          if (ansi && ((l ^ r) & (l ^ res)) < 0) {
            return null;
          }
        }
        case A_MUL -> {
          res = l * r;
          if (ansi && Math.multiplyHigh(l, r) != (res >> 63)) {
            return null;
          }
        }
        default -> res = r == -1 ? 0 : l % r;
      }
      return res;
    }
    long exact =
        switch (op) {
          case A_ADD -> l + r;
          case A_SUB -> l - r;
          case A_MUL -> l * r;
          default -> l % r;
        };
    long narrowed = wrap(exact, kind);
    if (ansi && narrowed != exact) {
      return null;
    }
    return narrowed;
  }

  private static double farith(int op, boolean isFloat, double l, double r) {
    if (isFloat) {
      float a = (float) l, b = (float) r;
      return switch (op) {
        case A_ADD -> a + b;
        case A_SUB -> a - b;
        case A_MUL -> a * b;
        case A_DIV -> a / b;
        default -> a % b;
      };
    }
    return switch (op) {
      case A_ADD -> l + r;
      case A_SUB -> l - r;
      case A_MUL -> l * r;
      case A_DIV -> l / r;
      default -> l % r;
    };
  }

  private static BigInteger divHalfUp(BigInteger v, BigInteger divisor) {
    BigInteger[] qr = v.divideAndRemainder(divisor);
    BigInteger q = qr[0];
    if (qr[1].abs().shiftLeft(1).compareTo(divisor) >= 0) {
      q = q.add(BigInteger.valueOf(v.signum() < 0 ? -1 : 1));
    }
    return q;
  }

  private static Long fit(BigInteger v, int scale, int p, int s) {
    BigInteger w;
    if (s >= scale) {
      int k = s - scale;
      if (k >= p) {
        return v.signum() != 0 ? null : 0L;
      }
      if (v.abs().compareTo(BigInteger.TEN.pow(p - k)) >= 0) {
        return null;
      }
      w = v.multiply(BigInteger.TEN.pow(k));
    } else {
      w = divHalfUp(v, BigInteger.TEN.pow(scale - s));
    }
    if (w.abs().compareTo(BigInteger.TEN.pow(p)) >= 0) {
      return null;
    }
    return w.longValueExact();
  }

  private static long d2i(double d) {
    return (int) d;
  }

  /** {value, isNull}, or null for an error. */
  private static long[] cast(long v, int from, int to, int fromPs, int toPs, boolean ansi) {
    int fromScale = fromPs & 0xff;
    int toScale = toPs & 0xff, toPrec = toPs >> 8;
    boolean fromFloating = from == K_FLOAT || from == K_DOUBLE;
    if (to == K_BOOL) {
      return new long[] {(fromFloating ? d(v) != 0.0 : v != 0) ? 1 : 0, 0};
    }
    if (to == K_BYTE || to == K_SHORT || to == K_INT || to == K_LONG) {
      if (from == K_BOOL) {
        return new long[] {v, 0};
      }
      if (fromFloating) {
        double x = d(v);
        if (to == K_LONG) {
          if (ansi
              && !(Math.floor(x) <= 9223372036854775807.0
                  && Math.ceil(x) >= -9223372036854775808.0)) {
            return null;
          }
          return new long[] {(long) x, 0};
        }
        if (ansi) {
          if (!(Math.floor(x) <= 2147483647.0 && Math.ceil(x) >= -2147483648.0)) {
            return null;
          }
          long t = d2i(x);
          return wrap(t, to) != t ? null : new long[] {t, 0};
        }
        return new long[] {wrap(d2i(x), to), 0};
      }
      if (from == K_DEC) {
        long t = v / BigInteger.TEN.pow(fromScale).longValueExact();
        return ansi && wrap(t, to) != t ? null : new long[] {wrap(t, to), 0};
      }
      long t = wrap(v, to);
      return ansi && t != v ? null : new long[] {t, 0};
    }
    if (to == K_DOUBLE || to == K_FLOAT) {
      boolean toFloat = to == K_FLOAT;
      double x;
      if (from == K_BOOL) {
        x = v != 0 ? 1.0 : 0.0;
      } else if (from == K_DEC) {
        long pow = BigInteger.TEN.pow(fromScale).longValueExact();
        if (toFloat) {
          x = fromScale == 0 ? (double) (float) v : (double) ((float) v / (float) pow);
        } else {
          x = fromScale == 0 ? (double) v : (double) v / (double) pow;
        }
      } else if (fromFloating) {
        x = toFloat ? (double) (float) d(v) : d(v);
      } else {
        x = toFloat ? (double) (float) v : (double) v;
      }
      return new long[] {Double.doubleToRawLongBits(x), 0};
    }
    if (to == K_DEC) {
      Long r = fit(BigInteger.valueOf(v), from == K_DEC ? fromScale : 0, toPrec, toScale);
      if (r == null) {
        return ansi ? null : new long[] {0, 1};
      }
      return new long[] {r, 0};
    }
    return new long[] {v, 0};
  }

  private static boolean cmpResult(int op, int c) {
    return switch (op) {
      case C_EQ, C_NSEQ -> c == 0;
      case C_LT -> c < 0;
      case C_LE -> c <= 0;
      case C_GT -> c > 0;
      default -> c >= 0;
    };
  }

  private static int cmpDouble(double x, double y) {
    if (x == y) {
      return 0;
    }
    boolean xn = x != x, yn = y != y;
    if (xn) {
      return yn ? 0 : 1;
    }
    if (yn) {
      return -1;
    }
    return x < y ? -1 : 1;
  }

  private static int compare(int domain, long a, long b, int sa, int sb) {
    if (domain == D_DOUBLE) {
      return cmpDouble(d(a), d(b));
    }
    if (domain == D_DEC) {
      int m = Math.max(sa, sb);
      BigInteger x = BigInteger.valueOf(a).multiply(BigInteger.TEN.pow(m - sa));
      BigInteger y = BigInteger.valueOf(b).multiply(BigInteger.TEN.pow(m - sb));
      return x.compareTo(y);
    }
    return Long.compare(a, b);
  }
}
