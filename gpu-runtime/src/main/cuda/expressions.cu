// expr_eval: an interpreter for the programs dev.trueno.gpu.expr.ExprCompiler builds from core IR
// expressions. One thread evaluates one row; the program is shared by every row, so branches that
// the scalar reference does not evaluate (CASE, COALESCE, AND, OR, operands after a NULL) are
// skipped with jumps and cannot raise errors. Every opcode, kind and layout constant here must
// match ExprOps.java.
#include "common.cuh"

// Ints per instruction: op, dst, a, b, p0, p1, p2, p3, p4, site.
#define EXPR_INSN 10
// Registers of one thread; ExprCompiler refuses expressions that need more.
#define EXPR_MAX_REGS 64
// Outputs of one launch; ExprEvaluator refuses more.
#define EXPR_MAX_OUTPUTS 64

#define EXPR_OP_HALT 0
#define EXPR_OP_LOAD 1
#define EXPR_OP_CONST 2
#define EXPR_OP_NULL 3
#define EXPR_OP_MOV 4
#define EXPR_OP_JMP 5
#define EXPR_OP_NULLJ 6
#define EXPR_OP_ZEROJ 7
#define EXPR_OP_FALSEJ 8
#define EXPR_OP_TRUEJ 9
#define EXPR_OP_NOTTRUEJ 10
#define EXPR_OP_NOTNULLJ 11
#define EXPR_OP_AND 12
#define EXPR_OP_OR 13
#define EXPR_OP_NOT 14
#define EXPR_OP_ISNULL 15
#define EXPR_OP_ISNOTNULL 16
#define EXPR_OP_IARITH 20
#define EXPR_OP_FARITH 21
#define EXPR_OP_DADDSUB 22
#define EXPR_OP_DMUL 23
#define EXPR_OP_NEG 24
#define EXPR_OP_CMP 25
#define EXPR_OP_IN 26
#define EXPR_OP_CAST 27
#define EXPR_OP_MAKEDEC 28
#define EXPR_OP_OUT 29

// Value kinds (registers hold int64: integers, dates, booleans 0/1, decimal unscaled values; or
// the bits of a double, floats widened exactly as the scalar evaluator widens them).
#define EXPR_K_BOOL 0
#define EXPR_K_BYTE 1
#define EXPR_K_SHORT 2
#define EXPR_K_INT 3
#define EXPR_K_LONG 4
#define EXPR_K_FLOAT 5
#define EXPR_K_DOUBLE 6
#define EXPR_K_DATE 7
#define EXPR_K_DEC 8
// Output only: one bitmap, bit set where the predicate is TRUE.
#define EXPR_K_SELECT 9

#define EXPR_A_ADD 0
#define EXPR_A_SUB 1
#define EXPR_A_MUL 2
#define EXPR_A_DIV 3
#define EXPR_A_REM 4

#define EXPR_C_EQ 0
#define EXPR_C_NSEQ 1
#define EXPR_C_LT 2
#define EXPR_C_LE 3
#define EXPR_C_GT 4
#define EXPR_C_GE 5

// Comparison domains.
#define EXPR_D_LONG 0
#define EXPR_D_DOUBLE 1
#define EXPR_D_DEC 2

// Error codes (the site names the expression; the code says which of its errors).
#define EXPR_E_OVERFLOW 1
#define EXPR_E_DIVIDE_BY_ZERO 2

namespace trueno_expr {

typedef long long i64;
typedef unsigned long long u64;
typedef __int128 i128;

__device__ __forceinline__ i128 pow10(int k) {
  i128 p = 1;
  for (int j = 0; j < k; j++) p *= 10;
  return p;
}

__device__ __forceinline__ i128 abs128(i128 v) { return v < 0 ? -v : v; }

__device__ __forceinline__ i64 wrap(i64 v, int kind) {
  switch (kind) {
    case EXPR_K_BYTE: return (i64)(signed char)(unsigned char)(u64)v;
    case EXPR_K_SHORT: return (i64)(short)(unsigned short)(u64)v;
    case EXPR_K_INT: return (i64)(int)(unsigned)(u64)v;
    default: return v;
  }
}

__device__ __forceinline__ double as_double(i64 v) { return __longlong_as_double(v); }
__device__ __forceinline__ i64 as_bits(double d) { return __double_as_longlong(d); }

// Java's (long) d and (int) d: truncation, saturation at the bounds, NaN to 0.
__device__ __forceinline__ i64 d2l(double d) {
  if (d != d) return 0;
  if (d >= 9223372036854775807.0) return 0x7fffffffffffffffLL;
  if (d <= -9223372036854775808.0) return (i64)0x8000000000000000ULL;
  return (i64)d;
}

__device__ __forceinline__ i64 d2i(double d) {
  if (d != d) return 0;
  if (d >= 2147483647.0) return 2147483647LL;
  if (d <= -2147483648.0) return -2147483648LL;
  return (i64)(int)d;
}

// Spark's SQLOrderingUtil.compareDoubles: -0.0 == 0.0, NaN == NaN and above everything.
__device__ __forceinline__ int cmp_double(double x, double y) {
  if (x == y) return 0;
  bool xn = x != x, yn = y != y;
  if (xn) return yn ? 0 : 1;
  if (yn) return -1;
  return x < y ? -1 : 1;
}

// v / divisor rounded HALF_UP (ties away from zero), as BigDecimal.setScale(HALF_UP).
__device__ __forceinline__ i128 div_half_up(i128 v, i128 divisor) {
  i128 q = v / divisor;
  i128 r = v % divisor;
  if (abs128(r) * 2 >= divisor) q += v < 0 ? -1 : 1;
  return q;
}

// Spark's toPrecision(p, s, HALF_UP) of a value with `scale`; false when it does not fit.
__device__ __forceinline__ bool fit(i128 v, int scale, int p, int s, i64* out) {
  i128 w;
  if (s >= scale) {
    int k = s - scale;
    if (k >= p) {
      if (v != 0) return false;
      *out = 0;
      return true;
    }
    if (abs128(v) >= pow10(p - k)) return false;
    w = v * pow10(k);
  } else {
    w = div_half_up(v, pow10(scale - s));
  }
  if (abs128(w) >= pow10(p)) return false;
  *out = (i64)w;
  return true;
}

__device__ __forceinline__ bool bit(const unsigned char* bits, i64 row) {
  return (bits[row >> 3] >> (row & 7)) & 1;
}

struct Error {
  int code;
  int site;
  i64 v0, v1, v2;
};

__device__ __forceinline__ void raise(Error* e, int code, int site, i64 v0, i64 v1, i64 v2) {
  e->code = code;
  e->site = site;
  e->v0 = v0;
  e->v1 = v1;
  e->v2 = v2;
}

// Integer + - * % on non-null operands of one integral kind (byte, short, int, long).
__device__ __forceinline__ bool iarith(int op, int kind, bool ansi, i64 l, i64 r, i64* out) {
  if (op == EXPR_A_REM && r == 0) return false;  // only reached under ANSI
  if (kind == EXPR_K_LONG) {
    u64 ul = (u64)l, ur = (u64)r;
    i64 res;
    switch (op) {
      case EXPR_A_ADD:
        res = (i64)(ul + ur);
        if (ansi && (((l ^ res) & (r ^ res)) < 0)) return false;
        break;
      case EXPR_A_SUB:
        res = (i64)(ul - ur);
        if (ansi && (((l ^ r) & (l ^ res)) < 0)) return false;
        break;
      case EXPR_A_MUL: {
        res = (i64)(ul * ur);
        if (ansi) {
          i64 hi = __mul64hi(l, r);
          if (hi != (res >> 63)) return false;
        }
        break;
      }
      default:
        res = r == -1 ? 0 : l % r;
        break;
    }
    *out = res;
    return true;
  }
  // Byte, short and int operands fit a long exactly: compute exactly, then narrow or check.
  i64 exact;
  switch (op) {
    case EXPR_A_ADD: exact = l + r; break;
    case EXPR_A_SUB: exact = l - r; break;
    case EXPR_A_MUL: exact = l * r; break;
    default: exact = l % r; break;
  }
  i64 narrowed = wrap(exact, kind);
  if (ansi && narrowed != exact) return false;
  *out = narrowed;
  return true;
}

__device__ __forceinline__ double farith(int op, bool isFloat, double l, double r) {
  if (isFloat) {
    float a = (float)l, b = (float)r;
    float res;
    switch (op) {
      case EXPR_A_ADD: res = __fadd_rn(a, b); break;
      case EXPR_A_SUB: res = __fsub_rn(a, b); break;
      case EXPR_A_MUL: res = __fmul_rn(a, b); break;
      case EXPR_A_DIV: res = __fdiv_rn(a, b); break;
      default: res = fmodf(a, b); break;
    }
    return (double)res;
  }
  switch (op) {
    case EXPR_A_ADD: return __dadd_rn(l, r);
    case EXPR_A_SUB: return __dsub_rn(l, r);
    case EXPR_A_MUL: return __dmul_rn(l, r);
    case EXPR_A_DIV: return __ddiv_rn(l, r);
    default: return fmod(l, r);
  }
}

// p2/p3 of CAST: precision << 8 | scale of the source and target.
__device__ __forceinline__ bool cast(i64 v, int from, int to, int fromPs, int toPs, bool ansi,
                                     i64* out, bool* isNull, i64* shown) {
  *isNull = false;
  *shown = v;
  int fromScale = fromPs & 0xff;
  int toScale = toPs & 0xff, toPrec = toPs >> 8;
  bool fromFloating = from == EXPR_K_FLOAT || from == EXPR_K_DOUBLE;
  if (to == EXPR_K_BOOL) {
    if (fromFloating) *out = as_double(v) != 0.0;
    else *out = v != 0;
    return true;
  }
  if (to == EXPR_K_BYTE || to == EXPR_K_SHORT || to == EXPR_K_INT || to == EXPR_K_LONG) {
    if (from == EXPR_K_BOOL) {
      *out = v;
      return true;
    }
    if (fromFloating) {
      double d = as_double(v);
      if (to == EXPR_K_LONG) {
        if (ansi && !(floor(d) <= 9223372036854775807.0 && ceil(d) >= -9223372036854775808.0))
          return false;
        *out = d2l(d);
        return true;
      }
      if (ansi) {
        if (!(floor(d) <= 2147483647.0 && ceil(d) >= -2147483648.0)) return false;
        i64 t = d2i(d);
        if (wrap(t, to) != t) return false;
        *out = t;
        return true;
      }
      *out = wrap(d2i(d), to);
      return true;
    }
    if (from == EXPR_K_DEC) {
      i64 t = (i64)(((i128)v) / pow10(fromScale));
      if (ansi && wrap(t, to) != t) return false;
      *out = wrap(t, to);
      return true;
    }
    i64 t = wrap(v, to);
    if (ansi && t != v) return false;
    *out = t;
    return true;
  }
  if (to == EXPR_K_DOUBLE || to == EXPR_K_FLOAT) {
    bool toFloat = to == EXPR_K_FLOAT;
    double d;
    if (from == EXPR_K_BOOL) {
      d = v ? 1.0 : 0.0;
    } else if (from == EXPR_K_DEC) {
      // The compiler allows only what is one correctly rounded operation, as BigDecimal does.
      if (toFloat) {
        d = fromScale == 0 ? (double)__ll2float_rn(v)
                           : (double)__fdiv_rn((float)v, (float)(i64)pow10(fromScale));
      } else {
        d = fromScale == 0 ? __ll2double_rn(v) : __ddiv_rn((double)v, (double)(i64)pow10(fromScale));
      }
      *out = as_bits(d);
      return true;
    } else if (fromFloating) {
      d = as_double(v);
      if (toFloat) d = (double)__double2float_rn(d);
      *out = as_bits(d);
      return true;
    } else {
      d = toFloat ? (double)__ll2float_rn(v) : __ll2double_rn(v);
      *out = as_bits(d);
      return true;
    }
    *out = as_bits(d);
    return true;
  }
  if (to == EXPR_K_DEC) {
    i128 exact = v;
    int scale = from == EXPR_K_DEC ? fromScale : 0;
    i64 r;
    if (!fit(exact, scale, toPrec, toScale, &r)) {
      if (ansi) return false;
      *isNull = true;
      *out = 0;
      return true;
    }
    *out = r;
    return true;
  }
  // Identity casts (date to date) are compiled to MOV; nothing else reaches here.
  *out = v;
  return true;
}

__device__ __forceinline__ bool cmp_result(int op, int c) {
  switch (op) {
    case EXPR_C_EQ:
    case EXPR_C_NSEQ: return c == 0;
    case EXPR_C_LT: return c < 0;
    case EXPR_C_LE: return c <= 0;
    case EXPR_C_GT: return c > 0;
    default: return c >= 0;
  }
}

__device__ __forceinline__ int compare(int domain, i64 a, i64 b, int sa, int sb) {
  if (domain == EXPR_D_DOUBLE) return cmp_double(as_double(a), as_double(b));
  if (domain == EXPR_D_DEC) {
    int m = sa > sb ? sa : sb;
    i128 x = (i128)a * pow10(m - sa);
    i128 y = (i128)b * pow10(m - sb);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return a < b ? -1 : (a > b ? 1 : 0);
}

}  // namespace trueno_expr

using namespace trueno_expr;

// Evaluates the program over rows [0, n) (or only row `onlyRow` when it is >= 0, to collect the
// details of that row's error into `detail` without writing outputs). cols: per input ordinal,
// validity then values address. outs: per output, validity (or the selection bitmap), values
// address (0 for a selection) and output kind. Bit outputs are written as whole 32-bit words by warp ballots, so their buffers must
// hold ceil(n / 32) words. errKey: the smallest (row << 8 | code) that failed, initialised to
// all ones by the host.
extern "C" __global__ void __launch_bounds__(THREADS)
    expr_eval(const int* __restrict__ code, const long long* __restrict__ pool,
              const unsigned long long* __restrict__ cols,
              const unsigned long long* __restrict__ outs, int numOutputs, long long n,
              long long onlyRow,
              unsigned long long* errKey, long long* detail) {
  i64 begin = 0, end = n;
  bool detailMode = onlyRow >= 0;
  if (detailMode) {
    begin = onlyRow & ~31LL;
    end = begin + 32 < n ? begin + 32 : n;
  }
  const int lane = threadIdx.x & 31;
  const i64 stride = (i64)gridDim.x * blockDim.x;
  for (i64 base = begin + (i64)blockIdx.x * blockDim.x + (threadIdx.x & ~31); base < end;
       base += stride) {
    const i64 row = base + lane;
    const bool active = detailMode ? row == onlyRow : row < end;
    u64 validBits = 0, valueBits = 0;
    if (active) {
      i64 v[EXPR_MAX_REGS];
      bool nul[EXPR_MAX_REGS];
      Error err;
      err.code = 0;
      int pc = 0;
      bool running = true;
      while (running) {
        const int* in = code + pc * EXPR_INSN;
        const int op = in[0], dst = in[1], a = in[2], b = in[3];
        const int p0 = in[4], p1 = in[5], p2 = in[6], p3 = in[7], p4 = in[8], site = in[9];
        pc++;
        switch (op) {
          case EXPR_OP_HALT:
            running = false;
            break;
          case EXPR_OP_LOAD: {
            const unsigned char* validity = (const unsigned char*)cols[2 * a];
            const unsigned char* values = (const unsigned char*)cols[2 * a + 1];
            nul[dst] = !bit(validity, row);
            i64 x;
            switch (p0) {
              case EXPR_K_BOOL: x = bit(values, row); break;
              case EXPR_K_BYTE: x = ((const signed char*)values)[row]; break;
              case EXPR_K_SHORT: x = ((const short*)values)[row]; break;
              case EXPR_K_INT:
              case EXPR_K_DATE: x = ((const int*)values)[row]; break;
              case EXPR_K_FLOAT: x = as_bits((double)((const float*)values)[row]); break;
              case EXPR_K_DEC: x = ((const i64*)values)[2 * row]; break;  // low 8 bytes
              default: x = ((const i64*)values)[row]; break;
            }
            v[dst] = x;
            break;
          }
          case EXPR_OP_CONST:
            v[dst] = pool[a];
            nul[dst] = false;
            break;
          case EXPR_OP_NULL:
            v[dst] = 0;
            nul[dst] = true;
            break;
          case EXPR_OP_MOV:
            v[dst] = v[a];
            nul[dst] = nul[a];
            break;
          case EXPR_OP_JMP:
            pc = p0;
            break;
          case EXPR_OP_NULLJ:
            if (nul[a]) {
              v[dst] = 0;
              nul[dst] = true;
              pc = p0;
            }
            break;
          case EXPR_OP_ZEROJ:
            if (p1 ? as_double(v[a]) == 0.0 : v[a] == 0) {
              v[dst] = 0;
              nul[dst] = true;
              pc = p0;
            }
            break;
          case EXPR_OP_FALSEJ:
            if (!nul[a] && v[a] == 0) {
              v[dst] = 0;
              nul[dst] = false;
              pc = p0;
            }
            break;
          case EXPR_OP_TRUEJ:
            if (!nul[a] && v[a] != 0) {
              v[dst] = 1;
              nul[dst] = false;
              pc = p0;
            }
            break;
          case EXPR_OP_NOTTRUEJ:
            if (nul[a] || v[a] == 0) pc = p0;
            break;
          case EXPR_OP_NOTNULLJ:
            if (!nul[a]) pc = p0;
            break;
          case EXPR_OP_AND: {
            bool lf = !nul[a] && v[a] == 0, rf = !nul[b] && v[b] == 0;
            if (lf || rf) {
              v[dst] = 0;
              nul[dst] = false;
            } else {
              v[dst] = 1;
              nul[dst] = nul[a] || nul[b];
            }
            break;
          }
          case EXPR_OP_OR: {
            bool lt = !nul[a] && v[a] != 0, rt = !nul[b] && v[b] != 0;
            if (lt || rt) {
              v[dst] = 1;
              nul[dst] = false;
            } else {
              v[dst] = 0;
              nul[dst] = nul[a] || nul[b];
            }
            break;
          }
          case EXPR_OP_NOT:
            nul[dst] = nul[a];
            v[dst] = v[a] == 0;
            break;
          case EXPR_OP_ISNULL:
            v[dst] = nul[a];
            nul[dst] = false;
            break;
          case EXPR_OP_ISNOTNULL:
            v[dst] = !nul[a];
            nul[dst] = false;
            break;
          case EXPR_OP_IARITH: {
            // p0 op, p1 kind, p2 ansi; operands are not null.
            i64 res;
            if (!iarith(p0, p1, p2 != 0, v[a], v[b], &res)) {
              raise(&err, p0 == EXPR_A_REM ? EXPR_E_DIVIDE_BY_ZERO : EXPR_E_OVERFLOW, site, v[a],
                    v[b], 0);
              running = false;
              break;
            }
            v[dst] = res;
            nul[dst] = false;
            break;
          }
          case EXPR_OP_FARITH: {
            // p0 op, p1 is float, p2 ansi.
            if (p0 >= EXPR_A_DIV && as_double(v[b]) == 0.0) {
              raise(&err, EXPR_E_DIVIDE_BY_ZERO, site, v[a], v[b], 0);
              running = false;
              break;
            }
            v[dst] = as_bits(farith(p0, p1 != 0, as_double(v[a]), as_double(v[b])));
            nul[dst] = false;
            break;
          }
          case EXPR_OP_DADDSUB:
          case EXPR_OP_DMUL: {
            // p0 scale of a, p1 scale of b, p2 result precision, p3 result scale, p4 bit 0
            // subtract, bit 1 ANSI. The exact result is kept in 128 bits for the error message.
            i128 raw;
            int rawScale;
            if (op == EXPR_OP_DMUL) {
              raw = (i128)v[a] * (i128)v[b];
              rawScale = p0 + p1;
            } else {
              rawScale = p0 > p1 ? p0 : p1;
              i128 x = (i128)v[a] * pow10(rawScale - p0);
              i128 y = (i128)v[b] * pow10(rawScale - p1);
              raw = (p4 & 1) ? x - y : x + y;
            }
            i64 res;
            if (!fit(raw, rawScale, p2, p3, &res)) {
              if (p4 & 2) {
                raise(&err, EXPR_E_OVERFLOW, site, (i64)(u64)raw, (i64)(raw >> 64), 0);
                running = false;
                break;
              }
              v[dst] = 0;
              nul[dst] = true;
              break;
            }
            v[dst] = res;
            nul[dst] = false;
            break;
          }
          case EXPR_OP_NEG: {
            // p0 kind, p1 ansi.
            nul[dst] = nul[a];
            if (nul[a]) {
              v[dst] = 0;
              break;
            }
            i64 x = v[a];
            if (p0 == EXPR_K_FLOAT || p0 == EXPR_K_DOUBLE) {
              v[dst] = x ^ (i64)0x8000000000000000ULL;
            } else if (p0 == EXPR_K_DEC) {
              v[dst] = -x;
            } else {
              bool minLong = x == (i64)0x8000000000000000ULL;
              i64 negated = wrap((i64)(0 - (u64)x), p0);
              bool overflow = p0 == EXPR_K_LONG ? minLong : negated != -x;
              if (p1 && overflow) {
                raise(&err, EXPR_E_OVERFLOW, site, x, 0, 0);
                running = false;
                break;
              }
              v[dst] = negated;
            }
            break;
          }
          case EXPR_OP_CMP: {
            // p0 domain, p1 comparison, p2 scale of a, p3 scale of b (decimals).
            if (p1 == EXPR_C_NSEQ && (nul[a] || nul[b])) {
              v[dst] = nul[a] && nul[b];
            } else {
              v[dst] = cmp_result(p1, compare(p0, v[a], v[b], p2, p3));
            }
            nul[dst] = false;
            break;
          }
          case EXPR_OP_IN: {
            // p0 first literal in the pool, p1 literals, p2 domain, p3 a NULL literal present.
            // Decimal literals were brought to the value's scale by the compiler.
            i64 x = v[a];
            bool found = false;
            for (int k = 0; k < p1 && !found; k++) {
              i64 lit = pool[p0 + k];
              found = p2 == EXPR_D_DOUBLE ? cmp_double(as_double(x), as_double(lit)) == 0 : x == lit;
            }
            v[dst] = found;
            nul[dst] = !found && p3 != 0;
            break;
          }
          case EXPR_OP_CAST: {
            // p0 from kind, p1 to kind, p2/p3 precision << 8 | scale, p4 ansi.
            nul[dst] = nul[a];
            if (nul[a]) {
              v[dst] = 0;
              break;
            }
            i64 res, shown;
            bool isNull;
            if (!cast(v[a], p0, p1, p2, p3, p4 != 0, &res, &isNull, &shown)) {
              raise(&err, EXPR_E_OVERFLOW, site, shown, 0, 0);
              running = false;
              break;
            }
            v[dst] = res;
            nul[dst] = isNull;
            break;
          }
          case EXPR_OP_MAKEDEC: {
            // p0 precision, p1 null on overflow.
            nul[dst] = nul[a];
            v[dst] = v[a];
            if (!nul[a] && abs128((i128)v[a]) >= pow10(p0)) {
              if (!p1) {
                raise(&err, EXPR_E_OVERFLOW, site, v[a], 0, 0);
                running = false;
                break;
              }
              nul[dst] = true;
              v[dst] = 0;
            }
            break;
          }
          case EXPR_OP_OUT: {
            // a the register, p0 the output, p1 the output kind.
            bool valid = !nul[a];
            i64 x = valid ? v[a] : 0;
            u64 mask = 1ULL << p0;
            if (p1 == EXPR_K_SELECT) {
              if (valid && x != 0) validBits |= mask;
              break;
            }
            if (valid) validBits |= mask;
            if (p1 == EXPR_K_BOOL) {
              if (x != 0) valueBits |= mask;
              break;
            }
            if (detailMode) break;
            unsigned char* values = (unsigned char*)outs[3 * p0 + 1];
            switch (p1) {
              case EXPR_K_BYTE: ((signed char*)values)[row] = (signed char)x; break;
              case EXPR_K_SHORT: ((short*)values)[row] = (short)x; break;
              case EXPR_K_INT:
              case EXPR_K_DATE: ((int*)values)[row] = (int)x; break;
              case EXPR_K_FLOAT: ((float*)values)[row] = (float)as_double(x); break;
              case EXPR_K_DEC:
                ((i64*)values)[2 * row] = x;
                ((i64*)values)[2 * row + 1] = x >> 63;
                break;
              default: ((i64*)values)[row] = x; break;
            }
            break;
          }
          default:
            raise(&err, -1, -1, op, pc - 1, 0);
            running = false;
            break;
        }
      }
      if (err.code != 0) {
        if (detailMode) {
          detail[0] = err.site;
          detail[1] = err.code;
          detail[2] = err.v0;
          detail[3] = err.v1;
          detail[4] = err.v2;
        } else {
          atomicMin(errKey, ((u64)row << 8) | (u64)(err.code & 0xff));
        }
      }
    }
    if (detailMode) continue;
    // Every lane of the warp reaches here with the same base: assemble the bit outputs a word
    // (32 rows) at a time. Lanes past the end contribute zero bits.
    for (int k = 0; k < numOutputs; k++) {
      unsigned validWord = __ballot_sync(0xffffffffu, (unsigned)((validBits >> k) & 1));
      unsigned valueWord = __ballot_sync(0xffffffffu, (unsigned)((valueBits >> k) & 1));
      if (lane == 0) {
        ((unsigned*)outs[3 * k])[base >> 5] = validWord;
        if (outs[3 * k + 2] == EXPR_K_BOOL) ((unsigned*)outs[3 * k + 1])[base >> 5] = valueWord;
      }
    }
  }
}
