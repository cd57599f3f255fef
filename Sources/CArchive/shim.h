#ifndef BATCHD_CARCHIVE_SHIM_H
#define BATCHD_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* The AE_IF* file-type macros carry a cast, which Swift does not import;
   these return them unchanged so entry types are compared with libarchive's
   own values rather than assumed to equal the platform's S_IF* bits. */
static inline __LA_MODE_T batchd_ae_ifreg(void) { return AE_IFREG; }
static inline __LA_MODE_T batchd_ae_ifdir(void) { return AE_IFDIR; }
static inline __LA_MODE_T batchd_ae_iflnk(void) { return AE_IFLNK; }
static inline __LA_MODE_T batchd_ae_ifchr(void) { return AE_IFCHR; }
static inline __LA_MODE_T batchd_ae_ifblk(void) { return AE_IFBLK; }
static inline __LA_MODE_T batchd_ae_ififo(void) { return AE_IFIFO; }
static inline __LA_MODE_T batchd_ae_ifsock(void) { return AE_IFSOCK; }
#endif
