// Null-aware global aggregates over one morsel of one column: COUNT, SUM, MIN, MAX and a bound
// on the absolute values, per block. The host combines the block results in block order.
//
// Every statistic here is exact whatever the reduction order: integer sums wrap modulo 2^64 (as
// Java longs do), the absolute-value bound saturates, and MIN/MAX break ties by row index, so the
// first row among equal values wins (Spark's Least/Greatest keep the buffer on ties). That makes
// the results bit-identical to the scalar backend's and the same on every run.
//
// Output layout per block (8 x int64, see GlobalAggregateKernels.java):
//   [0] count of non-null rows   [1] wrapping sum (integers only)   [2] saturating sum of |x|
//   [3] min (value or double bits)  [4] max  [5] row of min  [6] row of max  [7] unused

#include "common.cuh"

struct Stats {
  long long count;
  long long sum;
  unsigned long long abs_sum;
  long long min_bits;
  long long max_bits;
  long long min_row;
  long long max_row;
};

__device__ __forceinline__ unsigned long long sat_add(unsigned long long a, unsigned long long b) {
  unsigned long long s = a + b;
  return s < a ? ~0ULL : s;
}

// Spark's SQLOrderingUtil.compareDoubles: -0.0 == 0.0, NaN == NaN and above everything.
__device__ __forceinline__ int cmp_f64(double x, double y) {
  if (x == y) return 0;
  bool xn = isnan(x), yn = isnan(y);
  if (xn || yn) return xn && yn ? 0 : (xn ? 1 : -1);
  return x < y ? -1 : 1;
}

template <typename T>
struct Traits;

template <>
struct Traits<int> {
  static __device__ __forceinline__ long long bits(int v) { return (long long)v; }
  static __device__ __forceinline__ int cmp(long long a, long long b) { return a < b ? -1 : (a > b); }
  static __device__ __forceinline__ long long as_long(int v) { return (long long)v; }
};

template <>
struct Traits<long long> {
  static __device__ __forceinline__ long long bits(long long v) { return v; }
  static __device__ __forceinline__ int cmp(long long a, long long b) { return a < b ? -1 : (a > b); }
  static __device__ __forceinline__ long long as_long(long long v) { return v; }
};

template <>
struct Traits<double> {
  static __device__ __forceinline__ long long bits(double v) { return __double_as_longlong(v); }
  static __device__ __forceinline__ int cmp(long long a, long long b) {
    return cmp_f64(__longlong_as_double(a), __longlong_as_double(b));
  }
  static __device__ __forceinline__ long long as_long(double) { return 0; }  // no SUM of doubles
};

template <typename T>
__device__ __forceinline__ void merge(Stats& a, const Stats& b) {
  if (b.count == 0) return;
  if (a.count == 0) {
    a = b;
    return;
  }
  a.count += b.count;
  a.sum = (long long)((unsigned long long)a.sum + (unsigned long long)b.sum);
  a.abs_sum = sat_add(a.abs_sum, b.abs_sum);
  int c = Traits<T>::cmp(b.min_bits, a.min_bits);
  if (c < 0 || (c == 0 && b.min_row < a.min_row)) {
    a.min_bits = b.min_bits;
    a.min_row = b.min_row;
  }
  c = Traits<T>::cmp(b.max_bits, a.max_bits);
  if (c > 0 || (c == 0 && b.max_row < a.max_row)) {
    a.max_bits = b.max_bits;
    a.max_row = b.max_row;
  }
}

// validity may be null when the column has no nulls (Arrow bit order: row i is bit i%8 of byte i/8).
template <typename T>
__device__ void global_stats(const T* __restrict__ values, const unsigned char* __restrict__ validity,
                             long long n, long long rows_per_block, long long* __restrict__ out) {
  __shared__ Stats shared[THREADS];
  long long start = (long long)blockIdx.x * rows_per_block;
  long long end = min(n, start + rows_per_block);
  Stats s = {0, 0, 0, 0, 0, 0, 0};
  for (long long i = start + threadIdx.x; i < end; i += THREADS) {
    if (validity != nullptr && ((validity[i >> 3] >> (i & 7)) & 1) == 0) continue;
    T v = values[i];
    Stats one;
    one.count = 1;
    long long l = Traits<T>::as_long(v);
    one.sum = l;
    one.abs_sum = l < 0 ? 0ULL - (unsigned long long)l : (unsigned long long)l;
    one.min_bits = one.max_bits = Traits<T>::bits(v);
    one.min_row = one.max_row = i;
    merge<T>(s, one);
  }
  shared[threadIdx.x] = s;
  __syncthreads();
  for (int stride = THREADS / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) merge<T>(shared[threadIdx.x], shared[threadIdx.x + stride]);
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    Stats r = shared[0];
    long long* o = out + 8LL * blockIdx.x;
    o[0] = r.count;
    o[1] = r.sum;
    o[2] = (long long)r.abs_sum;
    o[3] = r.min_bits;
    o[4] = r.max_bits;
    o[5] = r.min_row;
    o[6] = r.max_row;
    o[7] = 0;
  }
}

extern "C" __global__ void __launch_bounds__(THREADS)
global_stats_i32(const int* values, const unsigned char* validity, long long n, long long rows_per_block,
                 long long* out) {
  global_stats<int>(values, validity, n, rows_per_block, out);
}

extern "C" __global__ void __launch_bounds__(THREADS)
global_stats_i64(const long long* values, const unsigned char* validity, long long n,
                 long long rows_per_block, long long* out) {
  global_stats<long long>(values, validity, n, rows_per_block, out);
}

extern "C" __global__ void __launch_bounds__(THREADS)
global_stats_f64(const double* values, const unsigned char* validity, long long n,
                 long long rows_per_block, long long* out) {
  global_stats<double>(values, validity, n, rows_per_block, out);
}

// ---------------------------------------------------------------------------------------------
// Lean COUNT/SUM over one morsel of one integer column (see GlobalStatsKernel.java): only what
// COUNT, SUM and AVG of integers need, with the exactness rules of global_stats above (wrapping
// sum, saturating sum of |x|, count of non-null rows), so its results equal global_stats' slots
// [0..2] bit for bit. Built for memory throughput rather than for MIN/MAX:
//   - a grid-stride loop over 16-byte vectors (longlong2 / int4) with SUM_UNROLL of them loaded
//     before any is added, so each thread keeps several independent loads in flight; the rows
//     before the first 16-byte boundary and after the last whole vector are read one at a time;
//   - the validity bitmap read a 32-bit word at a time (neighbouring threads share the word), and
//     not at all when it is null (no nulls);
//   - the launcher sizes the grid to one wave of resident blocks (the occupancy), so no block waits
//     for a second wave; every block reduces its threads through warp shuffles.
// Every operation is commutative and associative (addition modulo 2^64, and saturating addition
// of non-negative values is min(2^64-1, exact sum)), so neither the vector split nor the grid size
// changes a bit of the result.
//
// Output layout per block (SUM_SLOTS = 3 x int64):
//   [0] count of non-null rows   [1] wrapping sum   [2] saturating sum of |x|

#define SUM_SLOTS 3
#define SUM_UNROLL 4

struct Sums {
  unsigned long long count;
  unsigned long long sum;
  unsigned long long abs_sum;
};

template <typename T>
struct Vector16;

template <>
struct Vector16<int> {
  typedef int4 type;
  static constexpr int WIDTH = 4;
  static __device__ __forceinline__ long long at(const int4& v, int k) {
    return k == 0 ? v.x : k == 1 ? v.y : k == 2 ? v.z : v.w;
  }
};

template <>
struct Vector16<long long> {
  typedef longlong2 type;
  static constexpr int WIDTH = 2;
  static __device__ __forceinline__ long long at(const longlong2& v, int k) { return k == 0 ? v.x : v.y; }
};

// Adds value v when valid is 1 (and nothing when 0), without a branch.
__device__ __forceinline__ void add_row(Sums& s, long long v, unsigned int valid) {
  unsigned long long mask = 0ULL - (unsigned long long)valid;
  unsigned long long u = (unsigned long long)v;
  unsigned long long a = v < 0 ? 0ULL - u : u;  // |Long.MIN_VALUE| = 2^63 as unsigned
  s.count += valid;
  s.sum += u & mask;
  s.abs_sum = sat_add(s.abs_sum, a & mask);
}

// The 32 validity bits of rows 32w .. 32w+31 (Arrow order: row i is bit i%32 of the little-endian
// word). Bytes at or past nbytes, the bitmap's length, are never read and count as 0.
__device__ __forceinline__ unsigned int validity_word(const unsigned char* __restrict__ validity,
                                                      long long w, long long nbytes) {
  if ((((uintptr_t)validity) & 3) == 0 && 4 * w + 4 <= nbytes) {
    return __ldg((const unsigned int*)validity + w);
  }
  unsigned int x = 0;
  for (int b = 0; b < 4; b++) {
    if (4 * w + b < nbytes) x |= (unsigned int)__ldg(validity + 4 * w + b) << (8 * b);
  }
  return x;
}

// The validity bits of rows row .. row+count-1 (count <= 4) in bits 0 .. count-1.
__device__ __forceinline__ unsigned int validity_bits(const unsigned char* __restrict__ validity,
                                                      long long row, int count, long long nbytes) {
  long long w = row >> 5;
  int shift = (int)(row & 31);
  unsigned int bits = validity_word(validity, w, nbytes) >> shift;
  if (shift + count > 32) bits |= validity_word(validity, w + 1, nbytes) << (32 - shift);
  return bits;
}

__device__ __forceinline__ Sums warp_sums(Sums s) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    s.count += __shfl_down_sync(0xffffffffu, s.count, offset);
    s.sum += __shfl_down_sync(0xffffffffu, s.sum, offset);
    s.abs_sum = sat_add(s.abs_sum, __shfl_down_sync(0xffffffffu, s.abs_sum, offset));
  }
  return s;
}

// The sums of the rows that thread `thread` of `threads` takes. NULLS: validity is not null. Rows
// are split as [0, head) scalar, [head, tail) 16-byte vectors, [tail, n) scalar, where head is the
// number of rows before values' first 16-byte boundary.
template <typename T, bool NULLS>
__device__ __forceinline__ Sums thread_sums(const T* __restrict__ values,
                                            const unsigned char* __restrict__ validity, long long n,
                                            long long thread, long long threads) {
  typedef typename Vector16<T>::type V;
  constexpr int W = Vector16<T>::WIDTH;
  const long long nbytes = (n + 7) >> 3;
  long long head = (long long)(((16 - (((uintptr_t)values) & 15)) & 15) / sizeof(T));
  head = head < n ? head : n;
  const long long vectors = (n - head) / W;
  const long long tail = head + vectors * W;
  const V* __restrict__ vec = (const V*)(values + head);
  Sums s = {0, 0, 0};

  // Fewer than W rows each: the first threads of the grid take them.
  for (long long row = thread; row < head; row += threads) {
    add_row(s, (long long)values[row], NULLS ? validity_bits(validity, row, 1, nbytes) & 1 : 1);
  }
  for (long long row = tail + thread; row < n; row += threads) {
    add_row(s, (long long)values[row], NULLS ? validity_bits(validity, row, 1, nbytes) & 1 : 1);
  }

  long long v = thread;
  for (; v + (SUM_UNROLL - 1) * threads < vectors; v += SUM_UNROLL * threads) {
    V x[SUM_UNROLL];
#pragma unroll
    for (int u = 0; u < SUM_UNROLL; u++) x[u] = __ldcs(vec + v + u * threads);
#pragma unroll
    for (int u = 0; u < SUM_UNROLL; u++) {
      long long row = head + (v + u * threads) * W;
      unsigned int bits = NULLS ? validity_bits(validity, row, W, nbytes) : ~0u;
#pragma unroll
      for (int k = 0; k < W; k++) add_row(s, Vector16<T>::at(x[u], k), (bits >> k) & 1);
    }
  }
  for (; v < vectors; v += threads) {
    V x = __ldcs(vec + v);
    long long row = head + v * W;
    unsigned int bits = NULLS ? validity_bits(validity, row, W, nbytes) : ~0u;
#pragma unroll
    for (int k = 0; k < W; k++) add_row(s, Vector16<T>::at(x, k), (bits >> k) & 1);
  }
  return s;
}

template <typename T, bool NULLS>
__device__ __forceinline__ void global_sum(const T* __restrict__ values,
                                           const unsigned char* __restrict__ validity, long long n,
                                           long long* __restrict__ out) {
  Sums s = thread_sums<T, NULLS>(values, validity, n, (long long)blockIdx.x * THREADS + threadIdx.x,
                                 (long long)gridDim.x * THREADS);
  __shared__ Sums partial[THREADS / 32];
  s = warp_sums(s);
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  if (lane == 0) partial[warp] = s;
  __syncthreads();
  if (warp == 0) {
    Sums z = {0, 0, 0};
    s = lane < THREADS / 32 ? partial[lane] : z;
    s = warp_sums(s);
    if (lane == 0) {
      long long* o = out + (long long)SUM_SLOTS * blockIdx.x;
      o[0] = (long long)s.count;
      o[1] = (long long)s.sum;
      o[2] = (long long)s.abs_sum;
    }
  }
}

// validity may be null when the column has no nulls; values must be aligned to their width.
// SUM_MIN_BLOCKS resident blocks per SM caps the registers at 40 (no spills), where the compiler
// alone takes 47, which leaves room for only 5 blocks; 8 blocks (32 registers) would spill.
#define SUM_MIN_BLOCKS 6

extern "C" __global__ void __launch_bounds__(THREADS, SUM_MIN_BLOCKS)
global_sum_i32(const int* values, const unsigned char* validity, long long n, long long* out) {
  if (validity == nullptr) {
    global_sum<int, false>(values, validity, n, out);
  } else {
    global_sum<int, true>(values, validity, n, out);
  }
}

extern "C" __global__ void __launch_bounds__(THREADS, SUM_MIN_BLOCKS)
global_sum_i64(const long long* values, const unsigned char* validity, long long n, long long* out) {
  if (validity == nullptr) {
    global_sum<long long, false>(values, validity, n, out);
  } else {
    global_sum<long long, true>(values, validity, n, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Hash group-by over one batch (see GroupedAggregateKernel.java): 1 or 2 nullable int32/int64 key
// columns, integer COUNT(*), COUNT, SUM, MIN, MAX. Open addressing with linear probing in a table
// of power-of-two capacity at least twice the batch's rows, so it never fills. A slot holds the
// row that claimed it (atomicCAS from -1); other rows compare their keys with that row's. Every
// update is an integer atomic (add wraps modulo 2^64, min/max), so the per-slot results do not
// depend on the order threads run in. Each slot also keeps the first row of its group (atomicMin),
// which the host sorts by to emit groups in first-seen order, as the scalar backend does.
//
// The batch's columns lie in one device buffer (base). Column descriptors (3 x int64 per column):
// byte offset of the values, of the validity bitmap (-1: no nulls), value width (4 or 8). Call descriptors (3 x int64 per call): op, column (-1 for
// COUNT(*)), first accumulator. Accumulators are column-major: acc[a * cap + slot].
//   op 0 COUNT(*): [rows]   op 1 COUNT: [non-null]   op 2 SUM: [non-null, wrapping sum,
//   sum of |x| low 64 bits, high 64 bits]   op 3 MIN: [non-null, min]   op 4 MAX: [non-null, max]

#define OP_COUNT_STAR 0
#define OP_COUNT 1
#define OP_SUM 2
#define OP_MIN 3
#define OP_MAX 4

__device__ __forceinline__ bool load_value(const unsigned char* __restrict__ base,
                                           const long long* __restrict__ cols, int c, long long i,
                                           long long* v) {
  long long validity = cols[3 * c + 1];
  if (validity >= 0 && ((base[validity + (i >> 3)] >> (i & 7)) & 1) == 0) {
    *v = 0;
    return false;
  }
  const unsigned char* values = base + cols[3 * c];
  *v = cols[3 * c + 2] == 4 ? (long long)((const int*)values)[i] : ((const long long*)values)[i];
  return true;
}

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

extern "C" __global__ void __launch_bounds__(THREADS)
group_init(int* rep, int* first, long long* acc, const long long* acc_init, int num_accs,
           long long cap) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long s = (long long)blockIdx.x * THREADS + threadIdx.x; s < cap; s += stride) {
    rep[s] = -1;
    first[s] = 0x7fffffff;
    for (int a = 0; a < num_accs; a++) acc[a * cap + s] = acc_init[a];
  }
}

extern "C" __global__ void __launch_bounds__(THREADS)
group_update(const unsigned char* __restrict__ base, const long long* __restrict__ cols, int key0, int key1,
             const long long* __restrict__ calls, int num_calls, long long n, int* rep, int* first,
             long long* acc, long long cap) {
  long long stride = (long long)gridDim.x * THREADS;
  unsigned long long mask = (unsigned long long)cap - 1;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    long long k0, k1 = 0;
    bool v0 = load_value(base, cols, key0, i, &k0);
    bool v1 = key1 >= 0 ? load_value(base, cols, key1, i, &k1) : true;
    unsigned long long h = mix64((unsigned long long)k0 + (v0 ? 0ULL : 0x9e3779b97f4a7c15ULL));
    h = mix64(h ^ ((unsigned long long)k1 + (v1 ? 0ULL : 0x632be59bd9b4e019ULL)));
    unsigned long long s = h & mask;
    while (true) {
      int cur = rep[s];
      if (cur == -1) {
        cur = atomicCAS(&rep[s], -1, (int)i);
        if (cur == -1) break;
      }
      long long c0, c1 = 0;
      bool w0 = load_value(base, cols, key0, cur, &c0);
      bool w1 = key1 >= 0 ? load_value(base, cols, key1, cur, &c1) : true;
      if (w0 == v0 && c0 == k0 && w1 == v1 && c1 == k1) break;
      s = (s + 1) & mask;
    }
    atomicMin(&first[s], (int)i);
    for (int c = 0; c < num_calls; c++) {
      int op = (int)calls[3 * c];
      long long* a = acc + calls[3 * c + 2] * cap + s;
      if (op == OP_COUNT_STAR) {
        atomicAdd((unsigned long long*)a, 1ULL);
        continue;
      }
      long long x;
      if (!load_value(base, cols, (int)calls[3 * c + 1], i, &x)) continue;
      atomicAdd((unsigned long long*)a, 1ULL);
      if (op == OP_SUM) {
        atomicAdd((unsigned long long*)(a + cap), (unsigned long long)x);
        unsigned long long ax = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
        unsigned long long old = atomicAdd((unsigned long long*)(a + 2 * cap), ax);
        if (old + ax < old) atomicAdd((unsigned long long*)(a + 3 * cap), 1ULL);  // carry
      } else if (op == OP_MIN) {
        atomicMin(a + cap, x);
      } else if (op == OP_MAX) {
        atomicMax(a + cap, x);
      }
    }
  }
}

// Writes every occupied slot as one row [first row, accumulators...] at an index taken from
// *count (in no particular order; the host sorts by first row).
extern "C" __global__ void __launch_bounds__(THREADS)
group_compact(const int* rep, const int* first, const long long* acc, int num_accs, long long cap,
              unsigned long long* count, long long* out) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long s = (long long)blockIdx.x * THREADS + threadIdx.x; s < cap; s += stride) {
    if (rep[s] == -1) continue;
    unsigned long long g = atomicAdd(count, 1ULL);
    long long* o = out + g * (unsigned long long)(num_accs + 1);
    o[0] = first[s];
    for (int a = 0; a < num_accs; a++) o[a + 1] = acc[a * cap + s];
  }
}
