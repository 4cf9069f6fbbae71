package dev.trueno.gpu.expr;

import static dev.trueno.gpu.expr.ExprOps.*;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.And;
import dev.trueno.core.expr.Arithmetic;
import dev.trueno.core.expr.ArithmeticOp;
import dev.trueno.core.expr.CaseWhen;
import dev.trueno.core.expr.Cast;
import dev.trueno.core.expr.Coalesce;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.In;
import dev.trueno.core.expr.IsNotNull;
import dev.trueno.core.expr.IsNull;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.expr.MakeDecimal;
import dev.trueno.core.expr.Negate;
import dev.trueno.core.expr.Not;
import dev.trueno.core.expr.Or;
import dev.trueno.core.expr.UnscaledValue;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Compiles one core IR expression into a register program for {@code expr_eval}.
 *
 * <p>The program evaluates operands in the order the scalar reference does and jumps over the ones
 * it skips (the right side of a comparison or arithmetic after a NULL, the dividend after a NULL
 * or, without ANSI, zero divisor, the branches of CASE, COALESCE, AND and OR), so that an ANSI
 * error is raised on the GPU exactly where the scalar raises it. Registers follow a stack
 * discipline: a node writes the register it was given and its operands use the ones above it.
 */
final class ExprCompiler {
  /** Decimals wider than this do not fit the kernel's 64-bit registers. */
  static final int MAX_PRECISION = 18;

  private static final BigInteger MAX_UNSCALED = BigInteger.TEN.pow(MAX_PRECISION);

  private final List<int[]> code = new ArrayList<>();
  private final List<Long> pool = new ArrayList<>();
  private final List<ErrorSite> sites = new ArrayList<>();
  private final BitSet columns = new BitSet();
  private int top;
  private int registers;

  private ExprCompiler() {}

  /** The compiled form: the code, its literal pool, error sites, registers and result register. */
  record Compiled(
      int[] code, long[] pool, List<ErrorSite> sites, int registers, int result, int[] columns) {}

  /** A reason the GPU cannot evaluate {@code expr} exactly over {@code input}, or null. */
  static String unsupportedReason(Expr expr, List<Field> input) {
    String reason = check(expr, input);
    if (reason != null) {
      return reason;
    }
    Compiled c = compileChecked(expr);
    if (c.registers() > MAX_REGS) {
      return describe(expr)
          + " is not on the GPU yet: it needs "
          + c.registers()
          + " registers, the GPU interpreter has "
          + MAX_REGS
          + " (the expression nests too deeply)";
    }
    return null;
  }

  /** Compiles an expression; throws UNSUPPORTED with the reason when it is not supported. */
  static Compiled compile(Expr expr, List<Field> input) {
    String reason = unsupportedReason(expr, input);
    if (reason != null) {
      throw new TruenoException(ErrorCode.UNSUPPORTED, reason);
    }
    return compileChecked(expr);
  }

  private static Compiled compileChecked(Expr expr) {
    ExprCompiler c = new ExprCompiler();
    int result = c.node(expr);
    int[] flat = new int[c.code.size() * INSN];
    for (int i = 0; i < c.code.size(); i++) {
      System.arraycopy(c.code.get(i), 0, flat, i * INSN, INSN);
    }
    long[] literals = c.pool.stream().mapToLong(Long::longValue).toArray();
    return new Compiled(
        flat, literals, List.copyOf(c.sites), c.registers, result, c.columns.stream().toArray());
  }

  // ---- support ----

  /** The first reason found in the tree, parents before children. */
  private static String check(Expr e, List<Field> input) {
    String reason = node(e, input);
    if (reason != null) {
      return describe(e) + " is not on the GPU yet: " + reason;
    }
    for (Expr child : e.children()) {
      reason = check(child, input);
      if (reason != null) {
        return reason;
      }
    }
    return null;
  }

  /** Names the node for messages, without printing whole subtrees. */
  static String describe(Expr e) {
    if (e instanceof ColumnRef c) {
      return "column " + c.name();
    }
    if (e instanceof Literal l) {
      return "literal " + l.value() + " of type " + l.type();
    }
    if (e instanceof Arithmetic a) {
      return a.left().type() + " " + a.op().symbol() + " " + a.right().type() + " -> " + a.type();
    }
    if (e instanceof Comparison c) {
      return "comparison " + c.left().type() + " " + c.op().symbol() + " " + c.right().type();
    }
    if (e instanceof Cast c) {
      return "CAST(" + c.child().type() + " AS " + c.type() + ")";
    }
    return e.getClass().getSimpleName() + " of type " + e.type();
  }

  /** Null when the GPU holds values of this type exactly, else why not. */
  static String typeReason(DataType t) {
    return switch (t.kind()) {
      case BOOLEAN, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, DATE -> null;
      case DECIMAL ->
          t.precision() <= MAX_PRECISION
              ? null
              : t + " needs more than 64 bits (the GPU holds decimals of precision <= 18)";
      case TIMESTAMP -> "timestamps are not supported by the GPU evaluator";
      case STRING -> "strings are not supported by the GPU evaluator";
    };
  }

  private static String node(Expr e, List<Field> input) {
    String reason = typeReason(e.type());
    if (reason != null) {
      return reason;
    }
    if (e instanceof ColumnRef c) {
      if (c.ordinal() < 0 || c.ordinal() >= input.size()) {
        return "ordinal " + c.ordinal() + " is outside the input of " + input.size() + " columns";
      }
      DataType actual = input.get(c.ordinal()).type();
      return actual.equals(c.type()) ? null : "the input column is " + actual + ", not " + c.type();
    }
    if (e instanceof Literal l) {
      return literalReason(l);
    }
    if (e instanceof Arithmetic a) {
      return arithmeticReason(a);
    }
    if (e instanceof Negate n) {
      return n.type().kind().isNumeric() ? null : "negation needs a number";
    }
    if (e instanceof Comparison c) {
      return comparable(c.left().type(), c.right().type())
          ? null
          : "operands of different types are not compared";
    }
    if (e instanceof And a) {
      return booleans(a.left(), a.right());
    }
    if (e instanceof Or o) {
      return booleans(o.left(), o.right());
    }
    if (e instanceof Not n) {
      return booleans(n.child());
    }
    if (e instanceof IsNull || e instanceof IsNotNull) {
      return null;
    }
    if (e instanceof Cast c) {
      return castReason(c.child().type(), c.type());
    }
    if (e instanceof CaseWhen c) {
      for (CaseWhen.Branch b : c.branches()) {
        if (b.condition().type().kind() != TypeKind.BOOLEAN) {
          return "a WHEN condition is " + b.condition().type() + ", not boolean";
        }
        if (!b.value().type().equals(c.type())) {
          return "a THEN value is " + b.value().type() + ", not the result type";
        }
      }
      if (c.elseValue() != null && !c.elseValue().type().equals(c.type())) {
        return "the ELSE value is " + c.elseValue().type() + ", not the result type";
      }
      return null;
    }
    if (e instanceof In in) {
      for (Literal l : in.list()) {
        if (!comparable(in.value().type(), l.type())) {
          return "IN compares " + in.value().type() + " with a " + l.type() + " literal";
        }
      }
      return null;
    }
    if (e instanceof Coalesce c) {
      for (Expr arg : c.args()) {
        if (!arg.type().equals(c.type())) {
          return "an argument is " + arg.type() + ", not the result type";
        }
      }
      return null;
    }
    if (e instanceof UnscaledValue u) {
      return u.child().type().isDecimal() ? null : "its operand is not a decimal";
    }
    if (e instanceof MakeDecimal m) {
      if (m.child().type().kind() != TypeKind.LONG || !m.type().isDecimal()) {
        return "MakeDecimal needs a bigint operand and a decimal type";
      }
      return null;
    }
    return "unknown expression";
  }

  private static String booleans(Expr... operands) {
    for (Expr o : operands) {
      if (o.type().kind() != TypeKind.BOOLEAN) {
        return "an operand is " + o.type() + ", not boolean";
      }
    }
    return null;
  }

  /** Spark compares only values coerced to one type; the scalar also accepts mixed integers. */
  private static boolean comparable(DataType left, DataType right) {
    if (left.isDecimal() && right.isDecimal()) {
      return true;
    }
    if (left.isLongBacked() && right.isLongBacked()) {
      return left.kind() == right.kind() || left.kind().isIntegral() && right.kind().isIntegral();
    }
    return left.equals(right);
  }

  private static String arithmeticReason(Arithmetic a) {
    DataType l = a.left().type();
    DataType r = a.right().type();
    DataType t = a.type();
    if (t.isDecimal()) {
      if (!l.isDecimal() || !r.isDecimal()) {
        return "decimal arithmetic needs decimal operands";
      }
      if (a.op() == ArithmeticOp.DIVIDE || a.op() == ArithmeticOp.REMAINDER) {
        return "decimal " + a.op().symbol() + " rounds at scale 38, beyond the GPU's 64 bits";
      }
      return null;
    }
    if (!t.kind().isNumeric() || !l.equals(t) || !r.equals(t)) {
      return "operands must already have the result type";
    }
    if (a.op() == ArithmeticOp.DIVIDE && t.kind().isIntegral()) {
      return "integral division (div) is not supported; Spark's / works on double or decimal";
    }
    return null;
  }

  private static boolean castable(TypeKind k) {
    return k == TypeKind.BOOLEAN || k.isNumeric();
  }

  private static String castReason(DataType from, DataType to) {
    if (from.equals(to)) {
      return null;
    }
    if (!castable(from.kind()) || !castable(to.kind())) {
      return "only casts among boolean and numeric types are supported";
    }
    if (to.isDecimal() && from.kind().isFloating()) {
      return "Spark rounds the shortest decimal string of the floating value, which the GPU does"
          + " not compute";
    }
    if (from.isDecimal() && to.kind() == TypeKind.DOUBLE) {
      return from.precision() <= 15 || from.scale() == 0
          ? null
          : "a decimal of precision above 15 with a fraction does not convert to double in one"
              + " correctly rounded step";
    }
    if (from.isDecimal() && to.kind() == TypeKind.FLOAT) {
      return from.precision() <= 7 || from.scale() == 0
          ? null
          : "a decimal of precision above 7 with a fraction does not convert to float in one"
              + " correctly rounded step";
    }
    return null;
  }

  private static String literalReason(Literal l) {
    Object v = l.value();
    if (v == null) {
      return null;
    }
    DataType t = l.type();
    boolean ok =
        switch (t.kind()) {
          case BOOLEAN -> v instanceof Boolean;
          case BYTE, SHORT, INT, LONG, DATE ->
              v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
          case FLOAT, DOUBLE -> v instanceof Double || v instanceof Float;
          case DECIMAL -> v instanceof BigDecimal;
          default -> false;
        };
    if (!ok) {
      return "its value is a " + v.getClass().getSimpleName() + ", not the physical form of " + t;
    }
    if (v instanceof BigDecimal d) {
      BigDecimal scaled;
      try {
        scaled = d.setScale(t.scale());
      } catch (ArithmeticException e) {
        return "its value has more fraction digits than the scale " + t.scale();
      }
      if (scaled.unscaledValue().abs().compareTo(MAX_UNSCALED) >= 0) {
        return "its value has more than 18 digits";
      }
    }
    return null;
  }

  // ---- code generation ----

  private int emit(int op, int dst, int a, int b, int p0, int p1, int p2, int p3, int p4, int s) {
    code.add(new int[] {op, dst, a, b, p0, p1, p2, p3, p4, s});
    return code.size() - 1;
  }

  private int emit(int op, int dst, int a, int b, int... p) {
    int[] q = new int[5];
    System.arraycopy(p, 0, q, 0, p.length);
    return emit(op, dst, a, b, q[0], q[1], q[2], q[3], q[4], -1);
  }

  /** Points the jump at {@code jump} to the next instruction. */
  private void land(int jump) {
    code.get(jump)[4] = code.size();
  }

  private int site(ErrorSite s) {
    sites.add(s);
    return sites.size() - 1;
  }

  private int constant(long bits) {
    pool.add(bits);
    return pool.size() - 1;
  }

  private int alloc() {
    int r = top++;
    registers = Math.max(registers, top);
    return r;
  }

  /** Emits {@code e} into a fresh register and returns it; registers above it are free after. */
  private int node(Expr e) {
    int dst = alloc();
    emitNode(e, dst);
    top = dst + 1;
    return dst;
  }

  private void emitNode(Expr e, int dst) {
    if (e instanceof ColumnRef c) {
      columns.set(c.ordinal());
      emit(LOAD, dst, c.ordinal(), 0, kind(c.type()));
    } else if (e instanceof Literal l) {
      Long bits = literalBits(l.value(), l.type());
      if (bits == null) {
        emit(NULL, dst, 0, 0);
      } else {
        emit(CONST, dst, constant(bits), 0);
      }
    } else if (e instanceof Arithmetic a) {
      arithmetic(a, dst);
    } else if (e instanceof Negate n) {
      int c = node(n.child());
      boolean integral = n.type().kind().isIntegral();
      int s = n.ansi() && integral ? site(new ErrorSite.Negation(n.type().kind())) : -1;
      emit(NEG, dst, c, 0, kind(n.type()), n.ansi() ? 1 : 0, 0, 0, 0, s);
    } else if (e instanceof Comparison c) {
      comparison(c, dst);
    } else if (e instanceof And a) {
      int l = node(a.left());
      int skip = emit(FALSEJ, dst, l, 0);
      int r = node(a.right());
      emit(AND, dst, l, r);
      land(skip);
    } else if (e instanceof Or o) {
      int l = node(o.left());
      int skip = emit(TRUEJ, dst, l, 0);
      int r = node(o.right());
      emit(OR, dst, l, r);
      land(skip);
    } else if (e instanceof Not n) {
      emit(NOT, dst, node(n.child()), 0);
    } else if (e instanceof IsNull n) {
      emit(ISNULL, dst, node(n.child()), 0);
    } else if (e instanceof IsNotNull n) {
      emit(ISNOTNULL, dst, node(n.child()), 0);
    } else if (e instanceof Cast c) {
      cast(c, dst);
    } else if (e instanceof CaseWhen c) {
      List<Integer> ends = new ArrayList<>();
      for (CaseWhen.Branch b : c.branches()) {
        int cond = node(b.condition());
        int next = emit(NOTTRUEJ, 0, cond, 0);
        emit(MOV, dst, node(b.value()), 0);
        ends.add(emit(JMP, 0, 0, 0));
        land(next);
      }
      if (c.elseValue() == null) {
        emit(NULL, dst, 0, 0);
      } else {
        emit(MOV, dst, node(c.elseValue()), 0);
      }
      ends.forEach(this::land);
    } else if (e instanceof In in) {
      in(in, dst);
    } else if (e instanceof Coalesce c) {
      if (c.args().isEmpty()) {
        emit(NULL, dst, 0, 0);
        return;
      }
      List<Integer> ends = new ArrayList<>();
      for (int i = 0; i < c.args().size(); i++) {
        int v = node(c.args().get(i));
        emit(MOV, dst, v, 0);
        if (i < c.args().size() - 1) {
          ends.add(emit(NOTNULLJ, 0, v, 0));
        }
      }
      ends.forEach(this::land);
    } else if (e instanceof UnscaledValue u) {
      emit(MOV, dst, node(u.child()), 0);
    } else if (e instanceof MakeDecimal m) {
      int c = node(m.child());
      int s = m.nullOnOverflow() ? -1 : site(new ErrorSite.MakeDecimalOverflow(m.type()));
      emit(MAKEDEC, dst, c, 0, m.type().precision(), m.nullOnOverflow() ? 1 : 0, 0, 0, 0, s);
    } else {
      throw new TruenoException(ErrorCode.INTERNAL, "No GPU code for " + describe(e));
    }
  }

  private void arithmetic(Arithmetic a, int dst) {
    boolean divMod = a.op() == ArithmeticOp.DIVIDE || a.op() == ArithmeticOp.REMAINDER;
    List<Integer> toEnd = new ArrayList<>();
    int l;
    int r;
    if (divMod) {
      // DivModLike: the divisor first; without ANSI a NULL or zero divisor skips the dividend.
      r = node(a.right());
      toEnd.add(emit(NULLJ, dst, r, 0));
      if (!a.ansi()) {
        toEnd.add(emit(ZEROJ, dst, r, 0, 0, a.type().kind().isFloating() ? 1 : 0));
      }
      l = node(a.left());
      toEnd.add(emit(NULLJ, dst, l, 0));
    } else {
      l = node(a.left());
      toEnd.add(emit(NULLJ, dst, l, 0));
      r = node(a.right());
      toEnd.add(emit(NULLJ, dst, r, 0));
    }
    int op =
        switch (a.op()) {
          case ADD -> A_ADD;
          case SUBTRACT -> A_SUB;
          case MULTIPLY -> A_MUL;
          case DIVIDE -> A_DIV;
          case REMAINDER -> A_REM;
        };
    int ansi = a.ansi() ? 1 : 0;
    DataType t = a.type();
    if (t.isDecimal()) {
      DataType lt = a.left().type();
      DataType rt = a.right().type();
      int rawScale =
          a.op() == ArithmeticOp.MULTIPLY
              ? lt.scale() + rt.scale()
              : Math.max(lt.scale(), rt.scale());
      int s = a.ansi() ? site(new ErrorSite.DecimalResult(rawScale, t)) : -1;
      int flags = (a.op() == ArithmeticOp.SUBTRACT ? 1 : 0) | (a.ansi() ? 2 : 0);
      emit(
          a.op() == ArithmeticOp.MULTIPLY ? DMUL : DADDSUB,
          dst,
          l,
          r,
          lt.scale(),
          rt.scale(),
          t.precision(),
          t.scale(),
          flags,
          s);
    } else if (t.kind().isFloating()) {
      int s = a.ansi() && divMod ? site(new ErrorSite.FloatingDivision()) : -1;
      emit(FARITH, dst, l, r, op, t.kind() == TypeKind.FLOAT ? 1 : 0, ansi, 0, 0, s);
    } else {
      int s = a.ansi() ? site(new ErrorSite.IntegerArithmetic(a.op(), t.kind())) : -1;
      emit(IARITH, dst, l, r, op, kind(t), ansi, 0, 0, s);
    }
    toEnd.forEach(this::land);
  }

  private static int domain(DataType t) {
    if (t.isDecimal()) {
      return D_DEC;
    }
    return t.kind().isFloating() ? D_DOUBLE : D_LONG;
  }

  private void comparison(Comparison c, int dst) {
    boolean nullSafe = c.op() == ComparisonOp.NULL_SAFE_EQUAL;
    List<Integer> toEnd = new ArrayList<>();
    int l = node(c.left());
    if (!nullSafe) {
      // Null-intolerant: the scalar does not evaluate the right side after a NULL left side.
      toEnd.add(emit(NULLJ, dst, l, 0));
    }
    int r = node(c.right());
    if (!nullSafe) {
      toEnd.add(emit(NULLJ, dst, r, 0));
    }
    int op =
        switch (c.op()) {
          case EQUAL -> C_EQ;
          case NULL_SAFE_EQUAL -> C_NSEQ;
          case LESS_THAN -> C_LT;
          case LESS_THAN_OR_EQUAL -> C_LE;
          case GREATER_THAN -> C_GT;
          case GREATER_THAN_OR_EQUAL -> C_GE;
        };
    emit(
        CMP,
        dst,
        l,
        r,
        domain(c.left().type()),
        op,
        c.left().type().scale(),
        c.right().type().scale());
    toEnd.forEach(this::land);
  }

  private static int precisionScale(DataType t) {
    return t.precision() << 8 | t.scale();
  }

  private void cast(Cast c, int dst) {
    DataType from = c.child().type();
    DataType to = c.type();
    int v = node(c.child());
    if (from.equals(to)) {
      emit(MOV, dst, v, 0);
      return;
    }
    boolean canFail =
        c.ansi() && from.kind() != TypeKind.BOOLEAN && to.kind().isIntegral()
            || c.ansi() && to.isDecimal();
    int s = canFail ? site(new ErrorSite.CastOverflow(from, to)) : -1;
    emit(
        CAST,
        dst,
        v,
        0,
        kind(from),
        kind(to),
        precisionScale(from),
        precisionScale(to),
        c.ansi() ? 1 : 0,
        s);
  }

  private void in(In in, int dst) {
    DataType t = in.value().type();
    int v = node(in.value());
    int skip = emit(NULLJ, dst, v, 0);
    boolean sawNull = false;
    List<Long> candidates = new ArrayList<>();
    for (Literal l : in.list()) {
      if (l.value() == null) {
        sawNull = true;
      } else if (t.isDecimal()) {
        // Compare by value: a literal equals a value of scale s only when it is exact at scale s.
        BigDecimal d = ((BigDecimal) l.value()).setScale(l.type().scale());
        BigDecimal stripped = d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        if (stripped.scale() <= t.scale()) {
          BigInteger u = stripped.setScale(t.scale()).unscaledValue();
          if (u.abs().compareTo(MAX_UNSCALED) < 0) {
            candidates.add(u.longValueExact());
          }
        }
      } else {
        candidates.add(literalBits(l.value(), t));
      }
    }
    int first = pool.size();
    candidates.forEach(this::constant);
    emit(IN, dst, v, 0, first, candidates.size(), domain(t), sawNull ? 1 : 0);
    land(skip);
  }

  /** The register bits of a literal value of type {@code t}, or null for NULL. */
  static Long literalBits(Object value, DataType t) {
    if (value == null) {
      return null;
    }
    if (value instanceof Boolean b) {
      return b ? 1L : 0L;
    }
    if (value instanceof BigDecimal d) {
      return d.setScale(t.scale()).unscaledValue().longValueExact();
    }
    if (t.kind().isFloating()) {
      return Double.doubleToRawLongBits(((Number) value).doubleValue());
    }
    return ((Number) value).longValue();
  }
}
