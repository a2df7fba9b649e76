// libpng (Debian: libpng-dev): PNG reading (full API, errors ended on a worker thread, see
// LibPNGReader) and writing (the "simplified" API, which handles its errors itself).
#include <png.h>
