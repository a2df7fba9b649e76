// libpng (Debian: libpng-dev): the PNG writer (its "simplified" API, which handles libpng's
// errors itself, so no setjmp/longjmp reaches Swift).
#include <png.h>
