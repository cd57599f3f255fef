#ifndef BATCHD_CDEFLATE_SHIM_H
#define BATCHD_CDEFLATE_SHIM_H
/* Only libdeflate's CRC-32 is used: it folds with carry-less multiplies
   (PCLMULQDQ) where the CPU has them, about four times zlib's speed. */
#include <libdeflate.h>
#endif
