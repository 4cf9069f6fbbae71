// Hash aggregation with one device hash table that lives across morsels (see
// dev/trueno/gpu/agg/DeviceHashTable.java and GroupedAggregation.java).
//
// Table (capacity cap, a power of two), structure of arrays:
//   state[cap]        int32: 0 empty, 1 being claimed, 2 full
//   keys[k * cap + s] int64: key k of the group in slot s (sign-extended; decimals as unscaled)
//   nulls[cap]        int32: bit k set when key k is NULL
//   first[cap]        int64: the group's first row in the whole input (atomicMin), for output order
//   acc[a * cap + s]  int64: accumulator a (integers, or the bits of a double)
//
// A morsel is processed in up to three kernels:
//   agg_find    assigns each row its slot (gid[i]), claiming new slots; a claim is refused once
//               the table holds `limit` groups (the row gets -1 and *refused counts it) so the host
//               can grow the table and run agg_find again: the table never fills.
//   agg_update  applies the order-independent accumulators with integer atomics (add wraps modulo
//               2^64, 128-bit sums carry exactly, min/max), so per-slot results do not depend on the
//               order threads run in.
//   agg_fold_*  the order-dependent ones (double sums, double min/max with first-seen ties, ANSI
//               long sums near overflow): rows sorted by (slot, row) with a bitonic sort, then one
//               thread per group folds its rows in row order, exactly as Spark (and the scalar
//               backend) add them.
//
// Columns are given as an array of device pointers cols[2 * c] (values), cols[2 * c + 1] (validity
// bitmap, Arrow bit order; always present) and meta[c] (bytes per value: 0 bit-packed boolean, 1, 2,
// 4, 8 or 16).

#include "common.cuh"

#define AGG_EMPTY 0
#define AGG_BUSY 1
#define AGG_FULL 2

// Accumulator operations of agg_update (must match GroupedAggregation.java).
#define UOP_COUNT_ROWS 0   // acc[a] += 1
#define UOP_COUNT_VALID 1  // acc[a] += 1 when the column's value is not NULL
#define UOP_SUM64 2        // acc[a] += x (wrapping)
#define UOP_SUM128 3       // acc[a..a+1] += x (128-bit, exact); acc[a+2..a+3] += |x| (128-bit)
#define UOP_MIN64 4        // acc[a] = min(acc[a], x)
#define UOP_MAX64 5        // acc[a] = max(acc[a], x)
#define UOP_COUNT_NULL 6   // acc[a] += 1 when the column's value is NULL
#define UOP_COUNT_FALSE 7  // acc[a] += 1 when the boolean column is not NULL and false

// Fold operations of agg_fold_run (must match GroupedAggregation.java). The state is acc[a].
#define FOP_DSUM 0        // acc[a] = double(acc[a]) + double(x), x read as its column's kind
#define FOP_DMIN 1        // Spark's least(acc, x) over doubles: NaN greatest, ties keep acc
#define FOP_DMAX 2
#define FOP_FMIN 3        // the same over floats (bits of the float in the low 32 bits)
#define FOP_FMAX 4
#define FOP_LSUM_EXACT 5  // acc[a] = addExact(acc[a], x); overflow records the row
// acc[a + 1] counts the values folded (MIN/MAX start from the first one).

struct AggCols {
  const void* const* ptrs;
  const int* meta;  // per column: width | (kind << 8); kind 0 integer, 1 float, 2 double
};

__device__ __forceinline__ bool agg_valid(const AggCols& c, int col, long long i) {
  const unsigned char* v = (const unsigned char*)c.ptrs[2 * col + 1];
  return (v[i >> 3] >> (i & 7)) & 1;
}

// The value as a sign-extended 64-bit integer (decimals up to 18 digits: the low word).
__device__ __forceinline__ long long agg_load64(const AggCols& c, int col, long long i) {
  const void* p = c.ptrs[2 * col];
  switch (c.meta[col] & 0xff) {
    case 0:
      return (((const unsigned char*)p)[i >> 3] >> (i & 7)) & 1;
    case 1:
      return ((const signed char*)p)[i];
    case 2:
      return ((const short*)p)[i];
    case 4:
      return ((const int*)p)[i];
    case 8:
      return ((const long long*)p)[i];
    default:  // 16: little-endian two's complement, low word first
      return ((const long long*)p)[2 * i];
  }
}

__device__ __forceinline__ long long agg_load_high(const AggCols& c, int col, long long i,
                                                   long long low) {
  if ((c.meta[col] & 0xff) == 16) return ((const long long*)c.ptrs[2 * col])[2 * i + 1];
  return low < 0 ? -1LL : 0LL;
}

__device__ __forceinline__ double agg_load_double(const AggCols& c, int col, long long i) {
  int kind = c.meta[col] >> 8;
  if (kind == 2) return ((const double*)c.ptrs[2 * col])[i];
  if (kind == 1) return (double)((const float*)c.ptrs[2 * col])[i];
  return (double)agg_load64(c, col, i);
}

__device__ __forceinline__ unsigned long long agg_mix(unsigned long long z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

extern "C" __global__ void __launch_bounds__(THREADS)
agg_table_init(int* state, long long* first, long long* acc, const long long* acc_init, int num_accs,
               long long cap) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long s = (long long)blockIdx.x * THREADS + threadIdx.x; s < cap; s += stride) {
    state[s] = AGG_EMPTY;
    first[s] = 0x7fffffffffffffffLL;
    for (int a = 0; a < num_accs; a++) acc[a * cap + s] = acc_init[a];
  }
}

// Claims slot s for the group of (k, nulls); returns the slot holding that group, or -1 when the
// table reached its limit of groups.
__device__ long long agg_insert(int* state, long long* keys, int* nulls, unsigned long long* count,
                                long long limit, long long cap, int num_keys, const long long* k,
                                int key_nulls, unsigned long long h) {
  unsigned long long mask = (unsigned long long)cap - 1;
  unsigned long long s = h & mask;
  while (true) {
    int st = *(volatile int*)&state[s];
    if (st == AGG_EMPTY) {
      // Reserve room first so that full slots never exceed the limit (probing always ends).
      if ((long long)atomicAdd(count, 1ULL) >= limit) {
        atomicAdd(count, (unsigned long long)-1LL);
        return -1;
      }
      st = atomicCAS(&state[s], AGG_EMPTY, AGG_BUSY);
      if (st == AGG_EMPTY) {
        for (int j = 0; j < num_keys; j++) keys[j * cap + s] = k[j];
        nulls[s] = key_nulls;
        __threadfence();
        atomicExch(&state[s], AGG_FULL);
        return (long long)s;
      }
      atomicAdd(count, (unsigned long long)-1LL);
    }
    while (st == AGG_BUSY) st = *(volatile int*)&state[s];
    // Full: compare the keys (published before the state became full).
    bool same = *(volatile int*)&nulls[s] == key_nulls;
    for (int j = 0; same && j < num_keys; j++) {
      same = ((key_nulls >> j) & 1) || *(volatile long long*)&keys[j * cap + s] == k[j];
    }
    if (same) return (long long)s;
    s = (s + 1) & mask;
  }
}

extern "C" __global__ void __launch_bounds__(THREADS)
agg_find(const void* const* col_ptrs, const int* col_meta, const int* key_cols, int num_keys,
         long long n, int* state, long long* keys, int* nulls, long long* first,
         unsigned long long* count, long long limit, long long cap, long long row_base, int* gid,
         unsigned long long* refused) {
  AggCols c = {col_ptrs, col_meta};
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    if (gid[i] >= 0) continue;  // placed by an earlier pass (before the table grew)
    long long k[4];
    int key_nulls = 0;
    unsigned long long h = 0x2545f4914f6cdd1dULL;
    for (int j = 0; j < num_keys; j++) {
      int col = key_cols[j];
      if (agg_valid(c, col, i)) {
        k[j] = agg_load64(c, col, i);
      } else {
        k[j] = 0;
        key_nulls |= 1 << j;
      }
      h = agg_mix(h ^ ((unsigned long long)k[j] + (unsigned long long)(j + 1) * 0x9e3779b97f4a7c15ULL +
                       ((key_nulls >> j) & 1)));
    }
    long long s = agg_insert(state, keys, nulls, count, limit, cap, num_keys, k, key_nulls, h);
    if (s < 0) {
      atomicAdd(refused, 1ULL);
      continue;
    }
    gid[i] = (int)s;
    atomicMin(&first[s], row_base + i);
  }
}

// The order-independent accumulators. calls: per call 3 ints (op, column, first accumulator).
extern "C" __global__ void __launch_bounds__(THREADS)
agg_update(const void* const* col_ptrs, const int* col_meta, const int* calls, int num_calls,
           long long n, const int* gid, long long* acc, long long cap) {
  AggCols c = {col_ptrs, col_meta};
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    long long s = gid[i];
    for (int t = 0; t < num_calls; t++) {
      int op = calls[3 * t];
      int col = calls[3 * t + 1];
      unsigned long long* a = (unsigned long long*)(acc + (long long)calls[3 * t + 2] * cap + s);
      if (op == UOP_COUNT_ROWS) {
        atomicAdd(a, 1ULL);
        continue;
      }
      bool valid = agg_valid(c, col, i);
      if (op == UOP_COUNT_NULL) {
        if (!valid) atomicAdd(a, 1ULL);
        continue;
      }
      if (!valid) continue;
      long long x = agg_load64(c, col, i);
      switch (op) {
        case UOP_COUNT_VALID:
          atomicAdd(a, 1ULL);
          break;
        case UOP_COUNT_FALSE:
          if (x == 0) atomicAdd(a, 1ULL);
          break;
        case UOP_SUM64:
          atomicAdd(a, (unsigned long long)x);
          break;
        case UOP_SUM128: {
          long long hi = agg_load_high(c, col, i, x);
          unsigned long long lo = (unsigned long long)x;
          unsigned long long old = atomicAdd(a, lo);
          atomicAdd(a + cap, (unsigned long long)hi + (old + lo < old ? 1ULL : 0ULL));
          // |x| as 128 bits
          unsigned long long alo = lo, ahi = (unsigned long long)hi;
          if (hi < 0) {
            alo = ~lo + 1ULL;
            ahi = ~ahi + (alo == 0 ? 1ULL : 0ULL);
          }
          old = atomicAdd(a + 2 * cap, alo);
          atomicAdd(a + 3 * cap, ahi + (old + alo < old ? 1ULL : 0ULL));
          break;
        }
        case UOP_MIN64:
          atomicMin((long long*)a, x);
          break;
        case UOP_MAX64:
          atomicMax((long long*)a, x);
          break;
      }
    }
  }
}

// Saturating sum of |x| over the non-NULL rows of one integer column, per block (the host adds the
// blocks): decides whether an ANSI long SUM can come near overflow in this morsel.
extern "C" __global__ void __launch_bounds__(THREADS)
agg_abs_bound(const void* const* col_ptrs, const int* col_meta, int col, long long n,
              unsigned long long* out) {
  __shared__ unsigned long long part[THREADS];
  AggCols c = {col_ptrs, col_meta};
  unsigned long long s = 0;
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    if (!agg_valid(c, col, i)) continue;
    long long x = agg_load64(c, col, i);
    unsigned long long ax = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    unsigned long long t = s + ax;
    s = t < s ? ~0ULL : t;
  }
  part[threadIdx.x] = s;
  __syncthreads();
  for (int w = THREADS / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) {
      unsigned long long t = part[threadIdx.x] + part[threadIdx.x + w];
      part[threadIdx.x] = t < part[threadIdx.x] ? ~0ULL : t;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = part[0];
}

// ---- ordered folds ------------------------------------------------------------------------------

// sort_keys[i] = (slot << 32) | i for the morsel's rows, padded to a power of two with ~0.
extern "C" __global__ void __launch_bounds__(THREADS)
agg_sort_keys(const int* gid, long long n, long long padded, unsigned long long* sort_keys) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < padded; i += stride) {
    sort_keys[i] = i < n ? ((unsigned long long)(unsigned int)gid[i] << 32) | (unsigned long long)i
                         : ~0ULL;
  }
}

// One step (k, j) of a bitonic sort of `padded` keys, ascending.
extern "C" __global__ void __launch_bounds__(THREADS)
agg_bitonic_step(unsigned long long* keys, long long padded, long long k, long long j) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < padded; i += stride) {
    long long l = i ^ j;
    if (l <= i) continue;
    unsigned long long a = keys[i], b = keys[l];
    bool ascending = (i & k) == 0;
    if ((a > b) == ascending) {
      keys[i] = b;
      keys[l] = a;
    }
  }
}

// Spark's compareDoubles: -0.0 == 0.0, NaN == NaN and above everything.
__device__ __forceinline__ int agg_cmp_double(double x, double y) {
  if (x == y) return 0;
  bool xn = isnan(x), yn = isnan(y);
  if (xn || yn) return xn && yn ? 0 : (xn ? 1 : -1);
  return x < y ? -1 : 1;
}

// One thread per group of the morsel: folds its rows in row order into its accumulators.
// folds: per fold 3 ints (op, column, first accumulator). *error_row gets the smallest input row
// (row_base + i) whose ANSI addition overflowed.
extern "C" __global__ void __launch_bounds__(THREADS)
agg_fold_run(const void* const* col_ptrs, const int* col_meta, const int* folds, int num_folds,
             const unsigned long long* sorted, long long n, long long* acc, long long cap,
             long long row_base, unsigned long long* error_row) {
  AggCols c = {col_ptrs, col_meta};
  long long stride = (long long)gridDim.x * THREADS;
  for (long long p = (long long)blockIdx.x * THREADS + threadIdx.x; p < n; p += stride) {
    unsigned int slot = (unsigned int)(sorted[p] >> 32);
    if (p > 0 && (unsigned int)(sorted[p - 1] >> 32) == slot) continue;  // not a segment start
    long long end = p;
    while (end < n && (unsigned int)(sorted[end] >> 32) == slot) end++;
    for (int f = 0; f < num_folds; f++) {
      int op = folds[3 * f];
      int col = folds[3 * f + 1];
      long long* a = acc + (long long)folds[3 * f + 2] * cap + slot;
      long long* seen = a + cap;
      long long state = *a;
      long long count = *seen;
      for (long long q = p; q < end; q++) {
        long long i = (long long)(sorted[q] & 0xffffffffULL);
        if (!agg_valid(c, col, i)) continue;
        switch (op) {
          case FOP_DSUM:
            state = __double_as_longlong(__longlong_as_double(state) + agg_load_double(c, col, i));
            break;
          case FOP_DMIN:
          case FOP_DMAX: {
            double x = ((const double*)c.ptrs[2 * col])[i];
            int cmp = count == 0 ? 0 : agg_cmp_double(x, __longlong_as_double(state));
            if (count == 0 || (op == FOP_DMIN ? cmp < 0 : cmp > 0)) state = __double_as_longlong(x);
            break;
          }
          case FOP_FMIN:
          case FOP_FMAX: {
            float x = ((const float*)c.ptrs[2 * col])[i];
            int cmp = count == 0 ? 0 : agg_cmp_double((double)x, (double)__int_as_float((int)state));
            if (count == 0 || (op == FOP_FMIN ? cmp < 0 : cmp > 0))
              state = (long long)(unsigned int)__float_as_int(x);
            break;
          }
          case FOP_LSUM_EXACT: {
            long long x = agg_load64(c, col, i);
            long long r = (long long)((unsigned long long)state + (unsigned long long)x);
            if (((state ^ r) & (x ^ r)) < 0) {
              atomicMin(error_row, (unsigned long long)(row_base + i));
              q = end;  // this group's later rows cannot matter: the task fails
              continue;
            }
            state = r;
            break;
          }
        }
        count++;
      }
      *a = state;
      *seen = count;
    }
  }
}

// Writes every full slot as one row: [first row, null mask, keys..., accumulators...], at an index
// taken from *count (in no particular order; the host sorts by first row).
extern "C" __global__ void __launch_bounds__(THREADS)
agg_compact(const int* state, const long long* keys, const int* nulls, const long long* first,
            const long long* acc, int num_keys, int num_accs, long long cap,
            unsigned long long* count, long long* out) {
  long long stride = (long long)gridDim.x * THREADS;
  int width = 2 + num_keys + num_accs;
  for (long long s = (long long)blockIdx.x * THREADS + threadIdx.x; s < cap; s += stride) {
    if (state[s] != AGG_FULL) continue;
    unsigned long long g = atomicAdd(count, 1ULL);
    long long* o = out + g * (unsigned long long)width;
    o[0] = first[s];
    o[1] = nulls[s];
    for (int j = 0; j < num_keys; j++) o[2 + j] = keys[j * cap + s];
    for (int a = 0; a < num_accs; a++) o[2 + num_keys + a] = acc[a * cap + s];
  }
}

// Re-inserts every group of the old table into the new (empty, larger) one, with its accumulators.
extern "C" __global__ void __launch_bounds__(THREADS)
agg_rehash(const int* old_state, const long long* old_keys, const int* old_nulls,
           const long long* old_first, const long long* old_acc, long long old_cap, int num_keys,
           int num_accs, int* state, long long* keys, int* nulls, long long* first, long long* acc,
           unsigned long long* count, long long cap) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long s = (long long)blockIdx.x * THREADS + threadIdx.x; s < old_cap; s += stride) {
    if (old_state[s] != AGG_FULL) continue;
    long long k[4];
    int key_nulls = old_nulls[s];
    unsigned long long h = 0x2545f4914f6cdd1dULL;
    for (int j = 0; j < num_keys; j++) {
      k[j] = old_keys[j * old_cap + s];
      h = agg_mix(h ^ ((unsigned long long)k[j] + (unsigned long long)(j + 1) * 0x9e3779b97f4a7c15ULL +
                       ((key_nulls >> j) & 1)));
    }
    long long t = agg_insert(state, keys, nulls, count, cap, cap, num_keys, k, key_nulls, h);
    first[t] = old_first[s];
    for (int a = 0; a < num_accs; a++) acc[a * cap + t] = old_acc[a * old_cap + s];
  }
}
