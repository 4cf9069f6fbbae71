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

#include <stdint.h>

#define THREADS 256

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
