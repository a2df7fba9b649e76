// zlib (Debian: zlib1g-dev): deflate/inflate and the CRC-32 / Adler-32 checksums PNG uses.
#include <zlib.h>
