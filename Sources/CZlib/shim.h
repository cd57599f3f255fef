#ifndef BATCHD_CZLIB_SHIM_H
#define BATCHD_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 is a macro that passes ZLIB_VERSION and the struct size. */
static inline int batchd_deflate_init_gzip(z_streamp strm, int level, int strategy) {
    /* windowBits 15 + 16 asks zlib for a gzip wrapper; memLevel 8 is zlib's default. */
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, strategy);
}

/* Negative windowBits asks for raw deflate: no wrapper, so independently
   compressed blocks can be joined into one stream framed by the caller. */
static inline int batchd_deflate_init_raw(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

static inline int batchd_inflate_init_gzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 16);
}
#endif
