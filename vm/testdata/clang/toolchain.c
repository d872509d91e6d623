// A C module built by clang with the WebAssembly features current
// toolchains emit (multi-value, reference types, bulk memory,
// sign-extension, saturating conversions); vm/toolchain_test.go deploys it.
// Rebuild with ./build.sh.

typedef struct {
	int quot;
	int rem;
} pair;

// Returned as two values under the experimental-mv ABI (multi-value).
__attribute__((export_name("divmod"))) pair divmod(int x, int y) {
	pair p = {x / y, x % y};
	return p;
}

static int twice(int x) { return 2 * x; }
static int thrice(int x) { return 3 * x; }
typedef int (*fn)(int);
static fn table[2] = {twice, thrice};

// An indirect call; with reference types the table index is encoded as a
// LEB128 immediate.
__attribute__((export_name("apply"))) int apply(int i, int x) { return table[i & 1](x); }

static char buf[4096];

// memcpy and memset become memory.copy and memory.fill (bulk memory).
__attribute__((export_name("copy"))) int copy(int n) {
	if (n < 0 || n > 2048) {
		return -1;
	}
	__builtin_memset(buf, 7, n);
	__builtin_memcpy(buf + 2048, buf, n);
	return buf[0] + buf[2048 + n - 1];
}

// A saturating conversion (i32.trunc_sat_f64_s).
__attribute__((export_name("conv"))) int conv(double d) { return (int)d; }

// Sign extension (i32.extend8_s).
__attribute__((export_name("sext"))) int sext(int x) { return (signed char)x; }
