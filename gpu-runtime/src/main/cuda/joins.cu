// Hash join (see dev/trueno/gpu/join/GpuJoinBuild.java and GpuJoinProbe.java).
//
// Columns use the transfer's Arrow layout everywhere: values (width bytes per row; width 0 is a
// bit-packed boolean, 16 a decimal as two little-endian words) and a validity bitmap (Arrow bit
// order). A key column is described by meta = width | kind << 8 (kind 0 integer, 1 float,
// 2 double); keys are compared as int64 (integers sign-extended, decimals <= 18 digits by their low
// word, floats by their bits with -0.0 folded into 0.0 and every NaN into one NaN, as Spark).
//
// Build side (N rows, one table for the whole build, capacity cap >= 2 N, a power of two):
//   join_retain     appends a morsel's column to the retained build column at row `base`
//   join_insert     gives each build row with non-NULL keys the slot of its key (claiming it),
//                   row_slot[r] = slot or -1; slots hold the key tuple
//   agg_sort_keys + agg_bitonic_step (hash_aggregate.cu) sort (slot, row): each key's rows become
//                   one run in row order, NULL-key rows last
//   join_ranges     slot -> [start, end) of its run; rows[i] = build row of sorted entry i
// Probe side, per morsel:
//   join_probe      probe row -> (start of its key's run, number of build rows with its key)
//   join_scan_*     exclusive prefix sum of the counts: the candidate pairs of row i are
//                   [off[i], off[i] + cnt[i]); a range of candidates is expanded with
//   join_expand     candidate g -> (probe row, build row), binary search over off; so an output
//                   batch can end anywhere, also inside one key's run of a million rows
//   join_mark       marks probe rows / build rows that have a (condition-passing) pair
//   join_gather     writes an output column from a source column and a row index (-1: NULL)

#include "common.cuh"

#define JOIN_EMPTY 0
#define JOIN_BUSY 1
#define JOIN_FULL 2
#define JOIN_MAX_KEYS 4
// Items per block of the scan kernels.
#define JOIN_SCAN_ITEMS (4 * THREADS)

__device__ __forceinline__ bool join_bit(const unsigned char* bits, long long i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}

// Copies one value of `width` bytes (1, 2, 4, 8 or 16; columns are aligned to their width).
__device__ __forceinline__ void join_copy_value(void* dst, const void* src, int width) {
  switch (width) {
    case 1:
      *(unsigned char*)dst = *(const unsigned char*)src;
      break;
    case 2:
      *(unsigned short*)dst = *(const unsigned short*)src;
      break;
    case 4:
      *(unsigned int*)dst = *(const unsigned int*)src;
      break;
    case 8:
      *(unsigned long long*)dst = *(const unsigned long long*)src;
      break;
    default:
      ((unsigned long long*)dst)[0] = ((const unsigned long long*)src)[0];
      ((unsigned long long*)dst)[1] = ((const unsigned long long*)src)[1];
      break;
  }
}

// Key j of row i as a normalized int64; false when NULL.
__device__ __forceinline__ bool join_key(const void* const* ptrs, const int* meta, int j,
                                         long long i, long long* out) {
  if (!join_bit((const unsigned char*)ptrs[2 * j + 1], i)) return false;
  const void* p = ptrs[2 * j];
  int width = meta[j] & 0xff;
  int kind = meta[j] >> 8;
  long long v;
  if (kind == 1) {
    float f = ((const float*)p)[i];
    v = f == 0.0f ? 0LL : (f != f ? 0x7fc00000LL : (long long)__float_as_uint(f));
  } else if (kind == 2) {
    double d = ((const double*)p)[i];
    v = d == 0.0 ? 0LL : (d != d ? 0x7ff8000000000000LL : __double_as_longlong(d));
  } else {
    switch (width) {
      case 0:
        v = join_bit((const unsigned char*)p, i);
        break;
      case 1:
        v = ((const signed char*)p)[i];
        break;
      case 2:
        v = ((const short*)p)[i];
        break;
      case 4:
        v = ((const int*)p)[i];
        break;
      case 8:
        v = ((const long long*)p)[i];
        break;
      default:
        v = ((const long long*)p)[2 * i];
        break;
    }
  }
  *out = v;
  return true;
}

__device__ __forceinline__ unsigned long long join_hash(const long long* k, int num_keys) {
  unsigned long long h = 0x2545f4914f6cdd1dULL;
  for (int j = 0; j < num_keys; j++) {
    unsigned long long z = h ^ ((unsigned long long)k[j] + (unsigned long long)(j + 1) * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    h = z ^ (z >> 31);
  }
  return h;
}

// Loads the keys of row i; false when any is NULL (a NULL key never matches).
__device__ __forceinline__ bool join_keys(const void* const* ptrs, const int* meta, int num_keys,
                                          long long i, long long* k) {
  for (int j = 0; j < num_keys; j++) {
    if (!join_key(ptrs, meta, j, i, &k[j])) return false;
  }
  return true;
}

extern "C" __global__ void __launch_bounds__(THREADS)
join_table_init(int* state, int* start, int* end, long long cap) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long s = (long long)blockIdx.x * THREADS + threadIdx.x; s < cap; s += stride) {
    state[s] = JOIN_EMPTY;
    start[s] = 0;
    end[s] = 0;
  }
}

// Copies rows [0, n) of a morsel's column to rows [base, base + n) of a retained column (same
// layout). One thread per destination byte of bit-packed data; bits outside the range keep their
// value (the neighbouring morsels' bits, written by earlier launches on the same stream).
extern "C" __global__ void __launch_bounds__(THREADS)
join_retain(const void* src_values, const unsigned char* src_validity, int width, long long n,
            long long base, void* dst_values, unsigned char* dst_validity) {
  long long stride = (long long)gridDim.x * THREADS;
  long long first_byte = base >> 3;
  long long last_byte = (base + n + 7) >> 3;
  for (long long b = first_byte + (long long)blockIdx.x * THREADS + threadIdx.x; b < last_byte;
       b += stride) {
    unsigned char valid = dst_validity[b];
    unsigned char bits = width == 0 ? ((unsigned char*)dst_values)[b] : 0;
    for (int t = 0; t < 8; t++) {
      long long row = b * 8 + t;
      if (row < base || row >= base + n) continue;
      long long i = row - base;
      unsigned char m = (unsigned char)(1u << t);
      valid = join_bit(src_validity, i) ? (valid | m) : (valid & ~m);
      if (width == 0) {
        bits = join_bit((const unsigned char*)src_values, i) ? (bits | m) : (bits & ~m);
      } else {
        join_copy_value((unsigned char*)dst_values + row * width,
                        (const unsigned char*)src_values + i * width, width);
      }
    }
    dst_validity[b] = valid;
    if (width == 0) ((unsigned char*)dst_values)[b] = bits;
  }
}

// Rows [0, n) of a build morsel whose first row is `base`: each row with non-NULL keys finds or
// claims the slot of its key. keys[j * cap + s] holds key j of slot s.
extern "C" __global__ void __launch_bounds__(THREADS)
join_insert(const void* const* key_ptrs, const int* key_meta, int num_keys, long long n,
            long long base, int* state, long long* keys, long long cap, int* row_slot) {
  long long stride = (long long)gridDim.x * THREADS;
  unsigned long long mask = (unsigned long long)cap - 1;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    long long k[JOIN_MAX_KEYS];
    if (!join_keys(key_ptrs, key_meta, num_keys, i, k)) {
      row_slot[base + i] = -1;
      continue;
    }
    unsigned long long s = join_hash(k, num_keys) & mask;
    while (true) {
      int st = *(volatile int*)&state[s];
      if (st == JOIN_EMPTY) {
        st = atomicCAS(&state[s], JOIN_EMPTY, JOIN_BUSY);
        if (st == JOIN_EMPTY) {
          for (int j = 0; j < num_keys; j++) keys[j * cap + s] = k[j];
          __threadfence();
          atomicExch(&state[s], JOIN_FULL);
          break;
        }
      }
      while (st == JOIN_BUSY) st = *(volatile int*)&state[s];
      bool same = true;
      for (int j = 0; same && j < num_keys; j++) {
        same = *(volatile long long*)&keys[j * cap + s] == k[j];
      }
      if (same) break;
      s = (s + 1) & mask;
    }
    row_slot[base + i] = (int)s;
  }
}

// After the (slot, row) sort: the run of each slot and the build row of each sorted entry.
extern "C" __global__ void __launch_bounds__(THREADS)
join_ranges(const unsigned long long* sorted, long long n, int* start, int* end, int* rows) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    unsigned int s = (unsigned int)(sorted[i] >> 32);
    rows[i] = (int)(sorted[i] & 0xffffffffULL);
    if (s == 0xffffffffu) continue;  // NULL keys: never matched
    if (i == 0 || (unsigned int)(sorted[i - 1] >> 32) != s) start[s] = (int)i;
    if (i + 1 == n || (unsigned int)(sorted[i + 1] >> 32) != s) end[s] = (int)(i + 1);
  }
}

// Probe rows [0, n): the run of build rows with the same keys (start[i], cnt[i]; cnt 0 without).
// When probe_flag is given, it is set to 1 for rows with a match (joins without a condition).
extern "C" __global__ void __launch_bounds__(THREADS)
join_probe(const void* const* key_ptrs, const int* key_meta, int num_keys, long long n,
           const int* state, const long long* keys, const int* run_start, const int* run_end,
           long long cap, int* start, long long* cnt, unsigned char* probe_flag) {
  long long stride = (long long)gridDim.x * THREADS;
  unsigned long long mask = (unsigned long long)cap - 1;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    long long k[JOIN_MAX_KEYS];
    long long c = 0;
    int st0 = 0;
    if (join_keys(key_ptrs, key_meta, num_keys, i, k)) {
      unsigned long long s = join_hash(k, num_keys) & mask;
      while (state[s] == JOIN_FULL) {
        bool same = true;
        for (int j = 0; same && j < num_keys; j++) same = keys[j * cap + s] == k[j];
        if (same) {
          st0 = run_start[s];
          c = run_end[s] - run_start[s];
          break;
        }
        s = (s + 1) & mask;
      }
    }
    start[i] = st0;
    cnt[i] = c;
    if (probe_flag != nullptr) probe_flag[i] = c > 0 ? 1 : 0;
  }
}

// Exclusive prefix sum of n int64 values, step 1: each block scans JOIN_SCAN_ITEMS values and
// writes its total to sums[block].
extern "C" __global__ void __launch_bounds__(THREADS)
join_scan_blocks(const long long* in, long long* out, long long n, long long* sums) {
  __shared__ long long part[THREADS];
  long long base = (long long)blockIdx.x * JOIN_SCAN_ITEMS + (long long)threadIdx.x * 4;
  long long v[4];
  long long local = 0;
  for (int t = 0; t < 4; t++) {
    v[t] = base + t < n ? in[base + t] : 0;
    local += v[t];
  }
  part[threadIdx.x] = local;
  __syncthreads();
  // Hillis-Steele inclusive scan of the per-thread totals.
  for (int d = 1; d < THREADS; d <<= 1) {
    long long x = threadIdx.x >= d ? part[threadIdx.x - d] : 0;
    __syncthreads();
    part[threadIdx.x] += x;
    __syncthreads();
  }
  long long run = part[threadIdx.x] - local;
  for (int t = 0; t < 4; t++) {
    if (base + t < n) out[base + t] = run;
    run += v[t];
  }
  if (threadIdx.x == THREADS - 1) sums[blockIdx.x] = part[THREADS - 1];
}

// Step 2, one block: exclusive scan of the block totals in place; sums[blocks] gets the total.
extern "C" __global__ void __launch_bounds__(THREADS)
join_scan_sums(long long* sums, long long blocks) {
  __shared__ long long part[THREADS];
  __shared__ long long carry;
  if (threadIdx.x == 0) carry = 0;
  __syncthreads();
  for (long long from = 0; from < blocks; from += THREADS) {
    long long i = from + threadIdx.x;
    long long x = i < blocks ? sums[i] : 0;
    part[threadIdx.x] = x;
    __syncthreads();
    for (int d = 1; d < THREADS; d <<= 1) {
      long long y = threadIdx.x >= d ? part[threadIdx.x - d] : 0;
      __syncthreads();
      part[threadIdx.x] += y;
      __syncthreads();
    }
    if (i < blocks) sums[i] = carry + part[threadIdx.x] - x;
    __syncthreads();
    if (threadIdx.x == THREADS - 1) carry += part[THREADS - 1];
    __syncthreads();
  }
  if (threadIdx.x == 0) sums[blocks] = carry;
}

// Step 3: adds each block's offset.
extern "C" __global__ void __launch_bounds__(THREADS)
join_scan_add(long long* out, long long n, const long long* sums) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    out[i] += sums[i / JOIN_SCAN_ITEMS];
  }
}

// Candidates [lo, lo + m): candidate g belongs to the last probe row i with off[i] <= g (rows
// without candidates share their successor's offset, so the last such row is the one with
// candidates), and is that row's (g - off[i])-th build row of its run.
extern "C" __global__ void __launch_bounds__(THREADS)
join_expand(const long long* off, const int* start, long long n, long long lo, long long m,
            const int* rows, int* out_probe, int* out_build) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long t = (long long)blockIdx.x * THREADS + threadIdx.x; t < m; t += stride) {
    long long g = lo + t;
    long long a = 0, b = n;  // first index with off > g, in [a, b]
    while (a < b) {
      long long mid = (a + b) >> 1;
      if (off[mid] <= g) a = mid + 1;
      else b = mid;
    }
    long long i = a - 1;
    out_probe[t] = (int)i;
    out_build[t] = rows[start[i] + (g - off[i])];
  }
}

// Pairs [0, m): keep[t] = 1 when pair t passes (selection bit set, or no selection); marks the
// probe row and the build row of each passing pair (either flag array may be null).
extern "C" __global__ void __launch_bounds__(THREADS)
join_mark(const unsigned char* selection, long long m, const int* probe, const int* build,
          unsigned char* probe_flag, unsigned char* build_flag, long long* keep) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long t = (long long)blockIdx.x * THREADS + threadIdx.x; t < m; t += stride) {
    bool pass = selection == nullptr || join_bit(selection, t);
    if (keep != nullptr) keep[t] = pass ? 1 : 0;
    if (!pass) continue;
    if (probe_flag != nullptr) probe_flag[probe[t]] = 1;
    if (build_flag != nullptr) build_flag[build[t]] = 1;
  }
}

// Moves the passing pairs (keep[t] != 0, their positions pos = exclusive scan of keep) to the front.
extern "C" __global__ void __launch_bounds__(THREADS)
join_compact_pairs(const long long* keep, const long long* pos, long long m, const int* probe,
                   const int* build, int* out_probe, int* out_build) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long t = (long long)blockIdx.x * THREADS + threadIdx.x; t < m; t += stride) {
    if (keep[t] == 0) continue;
    out_probe[pos[t]] = probe[t];
    if (build != nullptr) out_build[pos[t]] = build[t];
  }
}

// want[i] = 1 when flag[i] == expected (expected < 0: every row), for a scan that lists such rows.
extern "C" __global__ void __launch_bounds__(THREADS)
join_want(const unsigned char* flag, long long n, int expected, long long* want) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    want[i] = expected < 0 || flag[i] == expected ? 1 : 0;
  }
}

// The rows i with want[i] != 0, in row order (pos: exclusive scan of want).
extern "C" __global__ void __launch_bounds__(THREADS)
join_list_rows(const long long* want, const long long* pos, long long n, int* out) {
  long long stride = (long long)gridDim.x * THREADS;
  for (long long i = (long long)blockIdx.x * THREADS + threadIdx.x; i < n; i += stride) {
    if (want[i] != 0) out[pos[i]] = (int)i;
  }
}

// Output column rows [0, m) = source rows idx[t] (idx < 0 or idx == nullptr with null_all: NULL).
// One thread per 8 output rows, so bit-packed bytes are written whole.
extern "C" __global__ void __launch_bounds__(THREADS)
join_gather(const void* src_values, const unsigned char* src_validity, int width, const int* idx,
            long long m, void* out_values, unsigned char* out_validity) {
  long long stride = (long long)gridDim.x * THREADS;
  long long bytes = (m + 7) >> 3;
  for (long long b = (long long)blockIdx.x * THREADS + threadIdx.x; b < bytes; b += stride) {
    unsigned char valid = 0, bits = 0;
    for (int t = 0; t < 8; t++) {
      long long row = b * 8 + t;
      if (row >= m) break;
      int r = idx[row];
      bool v = r >= 0 && join_bit(src_validity, r);
      if (v) valid |= (unsigned char)(1u << t);
      if (width == 0) {
        if (v && join_bit((const unsigned char*)src_values, r)) bits |= (unsigned char)(1u << t);
      } else {
        unsigned char* d = (unsigned char*)out_values + row * width;
        if (v) {
          join_copy_value(d, (const unsigned char*)src_values + (long long)r * width, width);
        } else {
          const unsigned long long zero[2] = {0ULL, 0ULL};
          join_copy_value(d, zero, width);
        }
      }
    }
    out_validity[b] = valid;
    if (width == 0) ((unsigned char*)out_values)[b] = bits;
  }
}

// A boolean output column (never NULL) of flag[idx[t]] != 0.
extern "C" __global__ void __launch_bounds__(THREADS)
join_gather_flag(const unsigned char* flag, const int* idx, long long m, unsigned char* out_values,
                 unsigned char* out_validity) {
  long long stride = (long long)gridDim.x * THREADS;
  long long bytes = (m + 7) >> 3;
  for (long long b = (long long)blockIdx.x * THREADS + threadIdx.x; b < bytes; b += stride) {
    unsigned char valid = 0, bits = 0;
    for (int t = 0; t < 8; t++) {
      long long row = b * 8 + t;
      if (row >= m) break;
      valid |= (unsigned char)(1u << t);
      if (flag[idx[row]] != 0) bits |= (unsigned char)(1u << t);
    }
    out_validity[b] = valid;
    out_values[b] = bits;
  }
}
