// oneDNN's C API, plus small inline functions for the macros Swift cannot import.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

static inline void *pw_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
